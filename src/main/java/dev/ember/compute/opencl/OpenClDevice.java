package dev.ember.compute.opencl;

import dev.ember.compute.BackendUnavailableException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One OpenCL device as the ICD loader lists it: {@link #index()} counts devices across all platforms in
 * enumeration order, which is what {@code ember.opencl.device} refers to.
 */
public final class OpenClDevice {
    private final int index;
    private final MemorySegment id;
    private final String platformName;
    private final String name;
    private final String vendor;
    private final long type;
    private final String version;
    private final String driverVersion;
    private final String openClCVersion;
    private final long maxAllocationBytes;
    private final long globalMemoryBytes;
    private final long localMemoryBytes;
    private final int computeUnits;
    private final long maxWorkGroupSize;

    private OpenClDevice(OpenCl cl, int index, MemorySegment platform, MemorySegment id) {
        this.index = index;
        this.id = id;
        this.platformName = cl.platformString(platform, OpenCl.CL_PLATFORM_NAME);
        this.name = cl.deviceString(id, OpenCl.CL_DEVICE_NAME);
        this.vendor = cl.deviceString(id, OpenCl.CL_DEVICE_VENDOR);
        this.type = cl.deviceLong(id, OpenCl.CL_DEVICE_TYPE);
        this.version = cl.deviceString(id, OpenCl.CL_DEVICE_VERSION);
        this.driverVersion = cl.deviceString(id, OpenCl.CL_DRIVER_VERSION);
        this.openClCVersion = cl.deviceString(id, OpenCl.CL_DEVICE_OPENCL_C_VERSION);
        this.maxAllocationBytes = cl.deviceLong(id, OpenCl.CL_DEVICE_MAX_MEM_ALLOC_SIZE);
        this.globalMemoryBytes = cl.deviceLong(id, OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE);
        this.localMemoryBytes = cl.deviceLong(id, OpenCl.CL_DEVICE_LOCAL_MEM_SIZE);
        this.computeUnits = cl.deviceInt(id, OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS);
        this.maxWorkGroupSize = cl.deviceLong(id, OpenCl.CL_DEVICE_MAX_WORK_GROUP_SIZE);
    }

    /** Every device of every platform, numbered from 0. */
    static List<OpenClDevice> list(OpenCl cl) {
        List<OpenClDevice> out = new ArrayList<>();
        for (MemorySegment platform : cl.platforms()) {
            for (MemorySegment device : cl.devices(platform)) out.add(new OpenClDevice(cl, out.size(), platform, device));
        }
        return List.copyOf(out);
    }

    /**
     * The device {@code spec} names — an index into {@code devices} or a case-insensitive substring of
     * "platform name: device name" — or, when {@code spec} is null or blank, the first GPU, else the first device.
     *
     * @throws BackendUnavailableException when there is no device, or none matches {@code spec} (the message lists them)
     */
    static OpenClDevice select(List<OpenClDevice> devices, String spec) {
        if (devices.isEmpty()) throw new BackendUnavailableException("no OpenCL platform with a device is installed (the ICD loader lists none)");
        if (spec == null || spec.isBlank()) {
            return devices.stream().filter(OpenClDevice::isGpu).findFirst().orElse(devices.getFirst());
        }
        String s = spec.strip();
        if (s.chars().allMatch(Character::isDigit)) {
            int i = Integer.parseInt(s);
            if (i < devices.size()) return devices.get(i);
        } else {
            String needle = s.toLowerCase(Locale.ROOT);
            for (OpenClDevice d : devices) {
                if ((d.platformName + ": " + d.name).toLowerCase(Locale.ROOT).contains(needle)) return d;
            }
        }
        throw new BackendUnavailableException("no OpenCL device matches ember.opencl.device='" + s + "'; the devices are:\n" + describe(devices));
    }

    /** One line per device, as {@link #toString()} writes it. */
    static String describe(List<OpenClDevice> devices) {
        StringBuilder sb = new StringBuilder();
        for (OpenClDevice d : devices) sb.append("  ").append(d).append('\n');
        return sb.toString();
    }

    public int index() {
        return index;
    }

    public String platformName() {
        return platformName;
    }

    public String name() {
        return name;
    }

    public String vendor() {
        return vendor;
    }

    /** {@code GPU}, {@code CPU}, {@code accelerator} or {@code other}. */
    public String type() {
        if ((type & OpenCl.CL_DEVICE_TYPE_GPU) != 0) return "GPU";
        if ((type & OpenCl.CL_DEVICE_TYPE_CPU) != 0) return "CPU";
        if ((type & OpenCl.CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
        return "other";
    }

    public boolean isGpu() {
        return (type & OpenCl.CL_DEVICE_TYPE_GPU) != 0;
    }

    /** {@code CL_DEVICE_VERSION}, e.g. {@code OpenCL 3.0 CUDA}. */
    public String version() {
        return version;
    }

    public String driverVersion() {
        return driverVersion;
    }

    public String openClCVersion() {
        return openClCVersion;
    }

    /** {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}: the largest single buffer. */
    public long maxAllocationBytes() {
        return maxAllocationBytes;
    }

    public long globalMemoryBytes() {
        return globalMemoryBytes;
    }

    public long localMemoryBytes() {
        return localMemoryBytes;
    }

    public int computeUnits() {
        return computeUnits;
    }

    public long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    MemorySegment id() {
        return id;
    }

    /** e.g. {@code #0 GPU NVIDIA H100 80GB HBM3 (NVIDIA CUDA; OpenCL 3.0 CUDA, OpenCL C 1.2, driver 550.54; 132 compute units, 79.1 GiB memory, 19.8 GiB max buffer, 48 KiB local)}. */
    @Override
    public String toString() {
        return "#" + index + " " + type() + " " + name + " (" + platformName + "; " + version + ", " + openClCVersion + ", driver " + driverVersion + "; "
                + computeUnits + " compute units, " + bytes(globalMemoryBytes) + " memory, " + bytes(maxAllocationBytes) + " max buffer, "
                + bytes(localMemoryBytes) + " local)";
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
        if (n >= 1L << 10) return (n >> 10) + " KiB";
        return n + " B";
    }
}
