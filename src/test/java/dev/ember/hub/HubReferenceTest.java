package dev.ember.hub;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parsing hf:// references, URLs, cache paths, settings precedence and ETag parsing. */
class HubReferenceTest {
    @Test
    void parsesTheForms() {
        assertEquals(new HubReference("o", "r", "f.gguf", "main"), HubReference.parse("hf://o/r/f.gguf"));
        assertEquals(new HubReference("o", "r", "f.gguf", "v1.0"), HubReference.parse("hf://o/r/f.gguf@v1.0"));
        assertEquals(new HubReference("o", "r", "sub/f.gguf", "refs/pr/3"), HubReference.parse("hf://o/r/sub/f.gguf@refs/pr/3"));
        assertEquals(new HubReference("Qwen", "Qwen2.5-0.5B-Instruct-GGUF", "q.gguf", "abc123"),
                HubReference.parse("hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF@abc123/q.gguf"));
        assertTrue(HubReference.isReference("hf://x"));
        assertFalse(HubReference.isReference("/models/hf/x.gguf"));
        assertEquals("hf://o/r/f.gguf@v1", HubReference.parse("hf://o/r@v1/f.gguf").toString());
    }

    @Test
    void urlAndCachePath() {
        HubReference r = HubReference.parse("hf://o/r/sub dir/f.gguf@refs/pr/3");
        assertEquals(URI.create("https://hub.example/o/r/resolve/refs%2Fpr%2F3/sub%20dir/f.gguf"), r.url(URI.create("https://hub.example/")));
        assertEquals(Path.of("/c/o--r/refs%2Fpr%2F3/sub dir/f.gguf"), r.cachePath(Path.of("/c")));
    }

    @Test
    void settingsPrecedence() {
        Map<String, String> env = Map.of("HF_ENDPOINT", "http://mirror.local:9000", "EMBER_CACHE", "/tmp/ec", "HF_TOKEN", "hf_x");
        HubSettings fromEnv = HubSettings.of(Optional.empty(), Optional.empty(), false, env::get);
        assertEquals(URI.create("http://mirror.local:9000"), fromEnv.hubUrl());
        assertEquals(Path.of("/tmp/ec"), fromEnv.cacheDir());
        assertEquals(Optional.of("hf_x"), fromEnv.token());
        assertFalse(fromEnv.offline());
        assertFalse(fromEnv.toString().contains("hf_x"));

        HubSettings explicit = HubSettings.of(Optional.of("http://other:1"), Optional.of("/tmp/x"), true, env::get);
        assertEquals(URI.create("http://other:1"), explicit.hubUrl());
        assertEquals(Path.of("/tmp/x"), explicit.cacheDir());
        assertTrue(explicit.offline());

        HubSettings defaults = HubSettings.of(Optional.empty(), Optional.empty(), false, k -> null);
        assertEquals(URI.create("https://huggingface.co"), defaults.hubUrl());
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "ember", "hub"), defaults.cacheDir());
        assertEquals(Optional.empty(), defaults.token());

        for (String on : new String[] {"1", "true", "YES", "on"}) {
            assertTrue(HubSettings.of(Optional.empty(), Optional.empty(), false, k -> k.equals("HF_HUB_OFFLINE") ? on : null).offline());
        }
        assertFalse(HubSettings.of(Optional.empty(), Optional.empty(), false, k -> k.equals("HF_HUB_OFFLINE") ? "0" : null).offline());
        assertThrows(IllegalArgumentException.class, () -> HubSettings.of(Optional.of("ftp://x"), Optional.empty(), false, k -> null));
    }

    @Test
    void sha256FromEtags() {
        String hex = "a".repeat(64);
        assertEquals(hex, HubDownloader.sha256Of("\"" + hex + "\""));
        assertEquals(hex, HubDownloader.sha256Of("W/\"" + hex.toUpperCase() + "\""));
        assertEquals(hex, HubDownloader.sha256Of(hex));
        assertNull(HubDownloader.sha256Of("\"0123456789abcdef0123456789abcdef01234567\"")); // git blob sha1
        assertNull(HubDownloader.sha256Of("\"d41d8cd98f00b204e9800998ecf8427e-3\""));
        assertNull(HubDownloader.sha256Of(null));
    }

    @Test
    void originComparison() {
        assertTrue(HubDownloader.sameOrigin(URI.create("https://huggingface.co/a"), URI.create("https://HuggingFace.co:443")));
        assertFalse(HubDownloader.sameOrigin(URI.create("https://cdn-lfs.hf.co/a"), URI.create("https://huggingface.co")));
        assertFalse(HubDownloader.sameOrigin(URI.create("http://127.0.0.1:1/a"), URI.create("http://127.0.0.1:2")));
    }
}
