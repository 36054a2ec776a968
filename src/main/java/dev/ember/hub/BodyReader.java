package dev.ember.hub;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Pulls a response body one chunk at a time with a stall limit: java.net.http has no read timeout, and
 * a connection that stops sending mid-body would otherwise block a download forever.
 */
final class BodyReader implements Flow.Subscriber<List<ByteBuffer>>, AutoCloseable {
    private static final Object END = new Object();

    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Duration stallLimit;
    private volatile Flow.Subscription subscription;
    private boolean ended;

    BodyReader(Flow.Publisher<List<ByteBuffer>> body, Duration stallLimit) {
        this.stallLimit = stallLimit;
        body.subscribe(this);
    }

    /** Reads nothing and lets the connection go (for redirects and error answers). */
    static void discard(Flow.Publisher<List<ByteBuffer>> body) {
        body.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.cancel();
            }

            @Override
            public void onNext(List<ByteBuffer> item) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onComplete() {}
        });
    }

    /** The next chunk, or null at the end of the body; an IOException when the connection fails or stalls. */
    List<ByteBuffer> next() throws IOException {
        if (ended) return null;
        Object item;
        try {
            item = queue.poll(stallLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted", e);
        }
        if (item == null) {
            close();
            throw new HttpTimeoutException("no data received for " + stallLimit.toSeconds() + " s");
        }
        if (item == END) {
            ended = true;
            return null;
        }
        if (item instanceof Throwable t) {
            ended = true;
            throw t instanceof IOException io ? io : new IOException(t);
        }
        @SuppressWarnings("unchecked")
        List<ByteBuffer> buffers = (List<ByteBuffer>) item;
        subscription.request(1);
        return buffers;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        queue.add(t);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    @Override
    public void close() {
        ended = true;
        Flow.Subscription s = subscription;
        if (s != null) s.cancel();
    }
}
