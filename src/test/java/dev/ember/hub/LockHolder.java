package dev.ember.hub;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A second process for {@link HubDownloadTest}: holds {@code args[0]} (a download's lock file) until a
 * line arrives on stdin, then writes {@code args[2]} (a file of bytes) to {@code args[1]} like a finished
 * download and releases the lock.
 */
public final class LockHolder {
    public static void main(String[] args) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            System.out.println("locked");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in)).readLine();
            Files.copy(Path.of(args[2]), Path.of(args[1]));
        }
    }
}
