package dev.ember.compute.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.BackendUnavailableException;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class OpenClDevicesTest {
    private static List<OpenClDevice> devicesOrSkip() {
        List<OpenClDevice> devices;
        try {
            devices = OpenClBackend.devices();
        } catch (BackendUnavailableException e) {
            Assumptions.abort(e.getMessage());
            throw e;
        }
        Assumptions.assumeFalse(devices.isEmpty(), "no OpenCL platform with a device");
        return devices;
    }

    @Test
    void listsDevicesReadably() {
        List<OpenClDevice> devices = devicesOrSkip();
        String listing = OpenClBackend.describeDevices();
        for (int i = 0; i < devices.size(); i++) {
            OpenClDevice d = devices.get(i);
            assertEquals(i, d.index());
            assertFalse(d.name().isBlank());
            assertTrue(d.maxAllocationBytes() > 0 && d.maxAllocationBytes() <= d.globalMemoryBytes(), d.toString());
            assertTrue(d.maxWorkGroupSize() >= 1 && d.computeUnits() >= 1, d.toString());
            assertTrue(d.openClCVersion().startsWith("OpenCL C "), d.openClCVersion());
            assertTrue(listing.contains("#" + i + " " + d.type() + " " + d.name() + " (" + d.platformName()), listing);
            assertTrue(listing.contains("driver " + d.driverVersion()), listing);
        }
        assertEquals(devices.size(), listing.lines().count(), listing);
        System.out.print("OpenCL devices:\n" + listing);
    }

    @Test
    void selectsByDefaultIndexAndName() {
        List<OpenClDevice> devices = devicesOrSkip();
        OpenClDevice first = devices.stream().filter(OpenClDevice::isGpu).findFirst().orElse(devices.getFirst());
        assertSame(first, OpenClDevice.select(devices, null));
        assertSame(first, OpenClDevice.select(devices, " "));
        OpenClDevice last = devices.getLast();
        assertSame(last, OpenClDevice.select(devices, String.valueOf(last.index())));
        assertEquals(last.name(), OpenClDevice.select(devices, last.name().toUpperCase(java.util.Locale.ROOT)).name());

        BackendUnavailableException none = assertThrows(BackendUnavailableException.class,
                () -> OpenClDevice.select(devices, "no-such-device-xyz"));
        assertTrue(none.getMessage().contains("no-such-device-xyz") && none.getMessage().contains(devices.getFirst().name()), none.getMessage());
        BackendUnavailableException outOfRange = assertThrows(BackendUnavailableException.class,
                () -> OpenClDevice.select(devices, String.valueOf(devices.size())));
        assertTrue(outOfRange.getMessage().contains("#0 "), outOfRange.getMessage());
    }

    @Test
    void noDevicesIsUnavailable() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> OpenClDevice.select(List.of(), null));
        assertTrue(e.getMessage().contains("no OpenCL platform"), e.getMessage());
    }

    @Test
    void missingLoaderIsUnavailableWithTheLibraryName() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> OpenCl.load(List.of("/nonexistent/libOpenCL.so.1")));
        assertTrue(e.getMessage().contains("/nonexistent/libOpenCL.so.1 not found"), e.getMessage());
    }

    @Test
    void errorCodesAreNamed() {
        assertEquals("CL_OUT_OF_RESOURCES", ClErrors.name(-5));
        assertEquals("CL_INVALID_WORK_GROUP_SIZE", ClErrors.name(-54));
        assertEquals("CL_PLATFORM_NOT_FOUND_KHR", ClErrors.name(-1001));
        assertEquals("CL error -9999", ClErrors.name(-9999));
        OpenClException e = new OpenClException("clCreateBuffer", -4, "64 bytes");
        assertEquals("clCreateBuffer failed: CL_MEM_OBJECT_ALLOCATION_FAILURE (-4): 64 bytes", e.getMessage());
        assertEquals("CL_MEM_OBJECT_ALLOCATION_FAILURE", e.errorName());
    }
}
