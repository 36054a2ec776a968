package dev.ember.hub;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A file in a Hugging Face–style model repository: {@code hf://OWNER/REPO/FILE[@REVISION]} (the
 * {@code hf://OWNER/REPO@REVISION/FILE} spelling of huggingface_hub's file system is accepted too).
 * FILE may name a sub-folder ({@code hf://o/r/q4/model.gguf}); REVISION is a branch, tag or commit
 * (default {@code main}) and may contain {@code /} ({@code refs/pr/1}). A FILE containing {@code @}
 * cannot be referenced.
 */
public record HubReference(String owner, String repo, String file, String revision) {
    public static final String SCHEME = "hf://";
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    /** A file name segment: anything but control characters and characters Windows or URLs choke on. */
    private static final Pattern FILE_SEGMENT = Pattern.compile("[^\\\\\\p{Cntrl}:*?\"<>|#%]+");
    private static final Pattern REVISION_SEGMENT = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final String FORM = "expected hf://OWNER/REPO/FILE or hf://OWNER/REPO/FILE@REVISION";

    public HubReference {
        validate(SCHEME + owner + "/" + repo + "/" + file + "@" + revision, owner, repo, file, revision);
    }

    /** Whether {@code model} is a hub reference rather than a local path. */
    public static boolean isReference(String model) {
        return model != null && model.startsWith(SCHEME);
    }

    /** Parses {@code hf://OWNER/REPO/FILE[@REVISION]}; a malformed one is a {@link HubException.Kind#BAD_REFERENCE}. */
    public static HubReference parse(String ref) {
        if (!isReference(ref)) throw bad(ref, "it does not start with " + SCHEME);
        String rest = ref.substring(SCHEME.length());
        int s1 = rest.indexOf('/');
        int s2 = s1 < 0 ? -1 : rest.indexOf('/', s1 + 1);
        if (s1 <= 0 || s2 < 0 || s2 == rest.length() - 1) {
            throw bad(ref, "OWNER, REPO and FILE are all needed");
        }
        String owner = rest.substring(0, s1);
        String repo = rest.substring(s1 + 1, s2);
        String file = rest.substring(s2 + 1);
        String revision = null;
        int repoAt = repo.indexOf('@');
        if (repoAt >= 0) { // hf://owner/repo@rev/file
            revision = repo.substring(repoAt + 1);
            repo = repo.substring(0, repoAt);
            if (revision.isEmpty()) throw bad(ref, "the revision after '@' is empty");
        }
        int fileAt = file.indexOf('@');
        if (fileAt >= 0) { // hf://owner/repo/file@rev
            if (revision != null) throw bad(ref, "it names two revisions");
            revision = file.substring(fileAt + 1);
            file = file.substring(0, fileAt);
            if (revision.isEmpty()) throw bad(ref, "the revision after '@' is empty");
        }
        if (revision == null) revision = DEFAULT_REVISION;
        validate(ref, owner, repo, file, revision);
        return new HubReference(owner, repo, file, revision);
    }

    /** {@code {hub}/{owner}/{repo}/resolve/{revision}/{file}}, each part percent-encoded. */
    public URI url(URI hub) {
        String base = hub.toString().replaceAll("/+$", "");
        return URI.create(base + "/" + encode(owner) + "/" + encode(repo) + "/resolve/" + encode(revision) + "/"
                + encodeSegments(file));
    }

    /**
     * Where the file lives in the cache: {@code <cache>/<owner>--<repo>/<revision>/<file>}, a {@code /} in
     * the revision written as {@code %2F}.
     */
    public Path cachePath(Path cacheDir) {
        Path p = cacheDir.resolve(owner + "--" + repo).resolve(revision.replace("/", "%2F"));
        for (String segment : file.split("/")) p = p.resolve(segment);
        return p;
    }

    /** {@code owner/repo}. */
    public String repoId() {
        return owner + "/" + repo;
    }

    @Override
    public String toString() {
        return SCHEME + owner + "/" + repo + "/" + file + (revision.equals(DEFAULT_REVISION) ? "" : "@" + revision);
    }

    private static void validate(String ref, String owner, String repo, String file, String revision) {
        checkName(ref, "owner", owner);
        checkName(ref, "repository", repo);
        checkPath(ref, "file", file, FILE_SEGMENT);
        checkPath(ref, "revision", revision, REVISION_SEGMENT);
    }

    private static void checkName(String ref, String what, String value) {
        if (value == null || value.isEmpty()) throw bad(ref, "the " + what + " is empty");
        if (!NAME.matcher(value).matches() || value.equals(".") || value.equals("..") || value.contains("--")) {
            throw bad(ref, "the " + what + " '" + value + "' may only contain letters, digits, '-', '_' and '.' (no '--')");
        }
    }

    private static void checkPath(String ref, String what, String value, Pattern segmentPattern) {
        if (value == null || value.isEmpty()) throw bad(ref, "the " + what + " is empty");
        for (String segment : value.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || !segmentPattern.matcher(segment).matches()) {
                throw bad(ref, "the " + what + " '" + value + "' is not a valid " + what + " name");
            }
        }
    }

    private static HubException bad(String ref, String why) {
        return new HubException(HubException.Kind.BAD_REFERENCE, "malformed model reference '" + ref + "': " + why + " (" + FORM + ")");
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodeSegments(String path) {
        StringBuilder b = new StringBuilder();
        for (String segment : path.split("/")) {
            if (!b.isEmpty()) b.append('/');
            b.append(encode(segment));
        }
        return b.toString();
    }
}
