package dev.ember.hub;

import java.nio.file.Path;

/**
 * Turns a {@code --model} / {@code ember.model} value into a local file: a plain path is returned as is;
 * {@code hf://OWNER/REPO/FILE[@REVISION]} is looked up in the cache and downloaded when missing (see
 * {@link HubSettings} for the hub URL, cache directory, token and offline mode).
 *
 * <p>Cache layout: {@code <cache>/<owner>--<repo>/<revision>/<file>} ({@code /} in a revision written
 * {@code %2F}). A file there is complete and verified: it is used without any network request, so a
 * branch such as {@code main} is not re-checked for new commits (delete the file, or pin a revision).
 * While downloading, {@code <file>.incomplete} holds the bytes so far and {@code <file>.lock} the lock.
 */
public final class ModelLocator {
    private ModelLocator() {}

    /** The local file for {@code model}; hub references are resolved with {@link HubSettings#fromSystem()}. */
    public static Path resolve(String model) {
        return HubReference.isReference(model) ? resolve(model, HubSettings.fromSystem()) : Path.of(model);
    }

    /** The local file for {@code model}, downloading a hub reference into the cache when it is not there. */
    public static Path resolve(String model, HubSettings settings) {
        if (!HubReference.isReference(model)) return Path.of(model);
        return new HubDownloader(settings).fetch(HubReference.parse(model));
    }
}
