package dev.ember.compute.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ember.compute.BackendUnavailableException;
import dev.ember.compute.Backends;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Without an NVIDIA driver the backend is unavailable, and says exactly why. */
class CudaUnavailableTest {
    private static boolean driverLoads() {
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void noDriverLibrary() {
        Assumptions.assumeFalse(driverLoads(), "this machine has libcuda.so.1");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.open("cuda"));
        assertEquals("libcuda.so.1 not found: no NVIDIA driver on this machine", e.getMessage());
        BackendUnavailableException direct = assertThrows(BackendUnavailableException.class, () -> CudaBackend.open(HandWrittenCuda::source));
        assertEquals("libcuda.so.1 not found: no NVIDIA driver on this machine", direct.getMessage());
    }

    @Test
    void configuredDriverThatDoesNotLoad() {
        String previous = System.getProperty("ember.cuda.driver");
        System.setProperty("ember.cuda.driver", "/nonexistent/libcuda.so.1");
        try {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> CudaBackend.open(HandWrittenCuda::source));
            assertEquals("/nonexistent/libcuda.so.1 (ember.cuda.driver) could not be loaded", e.getMessage());
        } finally {
            if (previous == null) System.clearProperty("ember.cuda.driver");
            else System.setProperty("ember.cuda.driver", previous);
        }
    }
}
