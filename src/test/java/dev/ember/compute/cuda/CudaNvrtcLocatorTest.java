package dev.ember.compute.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where NVRTC is looked for, in order. */
class CudaNvrtcLocatorTest {
    @Test
    void newestToolkitFirstAfterTheSearchPath(@TempDir Path local) throws IOException {
        for (String dir : List.of("cuda-12.4/lib64", "cuda-13.0/lib", "cuda-12.10/targets/x86_64-linux/lib", "cudnn")) {
            Files.createDirectories(local.resolve(dir));
        }
        Files.createFile(local.resolve("cuda-12.4/lib64/libnvrtc.so.12"));
        Files.createFile(local.resolve("cuda-12.4/lib64/libnvrtc-builtins.so.12.4"));
        Files.createFile(local.resolve("cuda-13.0/lib/libnvrtc.so"));
        Files.createFile(local.resolve("cuda-13.0/lib/libnvrtc.so.13"));
        Files.createFile(local.resolve("cuda-12.10/targets/x86_64-linux/lib/libnvrtc.so.12"));

        List<Path> roots = NvrtcLocator.installRoots(local);
        assertEquals(List.of(local.resolve("cuda-13.0"), local.resolve("cuda-12.10"), local.resolve("cuda-12.4")), roots,
                "cudnn does not match cuda*; versions compare numerically");
        assertEquals(List.of("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12",
                        local.resolve("cuda-13.0/lib/libnvrtc.so").toString(),
                        local.resolve("cuda-13.0/lib/libnvrtc.so.13").toString(),
                        local.resolve("cuda-12.10/targets/x86_64-linux/lib/libnvrtc.so.12").toString(),
                        local.resolve("cuda-12.4/lib64/libnvrtc.so.12").toString()),
                NvrtcLocator.candidates(roots));
    }
}
