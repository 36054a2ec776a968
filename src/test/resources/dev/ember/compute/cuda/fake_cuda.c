/*
 * A stand-in for libcuda.so.1 used by CudaFakeDriverTest on machines without a GPU. Compiled against the
 * real cuda.h, so every function has the header's prototype and exported name (cuMemAlloc -> cuMemAlloc_v2).
 * "Device" memory is host memory; modules are the PTX text; a launch runs nothing but is recorded
 * (fake_last_launch) with each parameter read at the size its PTX .param declares. Every call that needs a
 * context fails with CUDA_ERROR_INVALID_CONTEXT unless the primary context is current on the calling thread.
 */
#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_CONTEXT ((CUcontext) 0xC0C0)
#define FAKE_STREAM ((CUstream) 0x5555)

static __thread CUcontext current;
static int retains;
static long live_allocations;
static unsigned int last_dims[6];
static unsigned long long last_values[16];
static int last_count = -1;

typedef struct { const char *ptx; char name[128]; } fake_function;

CUresult cuGetErrorName(CUresult error, const char **pStr) {
    switch (error) {
        case CUDA_SUCCESS: *pStr = "CUDA_SUCCESS"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_VALUE: *pStr = "CUDA_ERROR_INVALID_VALUE"; return CUDA_SUCCESS;
        case CUDA_ERROR_OUT_OF_MEMORY: *pStr = "CUDA_ERROR_OUT_OF_MEMORY"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_CONTEXT: *pStr = "CUDA_ERROR_INVALID_CONTEXT"; return CUDA_SUCCESS;
        case CUDA_ERROR_INVALID_IMAGE: *pStr = "CUDA_ERROR_INVALID_IMAGE"; return CUDA_SUCCESS;
        case CUDA_ERROR_NOT_FOUND: *pStr = "CUDA_ERROR_NOT_FOUND"; return CUDA_SUCCESS;
        default: *pStr = NULL; return CUDA_ERROR_INVALID_VALUE;
    }
}

#define NEED_CONTEXT() do { if (current != FAKE_CONTEXT) return CUDA_ERROR_INVALID_CONTEXT; } while (0)

CUresult cuInit(unsigned int flags) { return flags == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE; }
CUresult cuDriverGetVersion(int *v) { *v = 13000; return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int *count) { *count = 1; return CUDA_SUCCESS; }
CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    if (ordinal != 0) return CUDA_ERROR_INVALID_VALUE;
    *device = 0;
    return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
    if (dev != 0 || len < 9) return CUDA_ERROR_INVALID_VALUE;
    strcpy(name, "Fake GPU");
    return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem(size_t *bytes, CUdevice dev) {
    if (dev != 0) return CUDA_ERROR_INVALID_VALUE;
    *bytes = (size_t) 80 << 30;
    return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev) {
    if (dev != 0) return CUDA_ERROR_INVALID_VALUE;
    switch (attrib) {
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *pi = 9; return CUDA_SUCCESS;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *pi = 0; return CUDA_SUCCESS;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = 1024; return CUDA_SUCCESS;
        default: return CUDA_ERROR_INVALID_VALUE;
    }
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev) {
    if (dev != 0) return CUDA_ERROR_INVALID_VALUE;
    retains++;
    *pctx = FAKE_CONTEXT;
    return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease(CUdevice dev) {
    if (dev != 0 || retains == 0) return CUDA_ERROR_INVALID_VALUE;
    retains--;
    return CUDA_SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext ctx) {
    if (ctx != FAKE_CONTEXT) return CUDA_ERROR_INVALID_CONTEXT;
    current = ctx;
    return CUDA_SUCCESS;
}
CUresult cuMemAlloc(CUdeviceptr *dptr, size_t bytesize) {
    NEED_CONTEXT();
    if (bytesize == 0) return CUDA_ERROR_INVALID_VALUE;
    if (bytesize > ((size_t) 80 << 30)) return CUDA_ERROR_OUT_OF_MEMORY;
    void *p = malloc(bytesize);
    if (!p) return CUDA_ERROR_OUT_OF_MEMORY;
    memset(p, 0xAB, bytesize); /* garbage, as real device memory: the backend must clear it */
    live_allocations++;
    *dptr = (CUdeviceptr) p;
    return CUDA_SUCCESS;
}
CUresult cuMemFree(CUdeviceptr dptr) {
    NEED_CONTEXT();
    free((void *) dptr);
    live_allocations--;
    return CUDA_SUCCESS;
}
CUresult cuMemcpyHtoD(CUdeviceptr dst, const void *src, size_t n) {
    NEED_CONTEXT();
    memcpy((void *) dst, src, n);
    return CUDA_SUCCESS;
}
CUresult cuMemcpyDtoH(void *dst, CUdeviceptr src, size_t n) {
    NEED_CONTEXT();
    memcpy(dst, (const void *) src, n);
    return CUDA_SUCCESS;
}
CUresult cuMemsetD8(CUdeviceptr dst, unsigned char uc, size_t n) {
    NEED_CONTEXT();
    memset((void *) dst, uc, n);
    return CUDA_SUCCESS;
}
CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int numOptions, CUjit_option *options, void **optionValues) {
    NEED_CONTEXT();
    const char *ptx = image;
    if (!strstr(ptx, ".version") || !strstr(ptx, ".target")) {
        for (unsigned int i = 0; i + 1 < numOptions; i++) {
            if (options[i] == CU_JIT_ERROR_LOG_BUFFER && options[i + 1] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) {
                strncpy((char *) optionValues[i], "fake JIT: not PTX", (size_t) optionValues[i + 1]);
            }
        }
        return CUDA_ERROR_INVALID_IMAGE;
    }
    *module = (CUmodule) strdup(ptx);
    return CUDA_SUCCESS;
}
CUresult cuModuleUnload(CUmodule hmod) {
    NEED_CONTEXT();
    free(hmod);
    return CUDA_SUCCESS;
}
CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name) {
    NEED_CONTEXT();
    char entry[160];
    snprintf(entry, sizeof entry, ".entry %s(", name);
    if (!strstr((const char *) hmod, entry) || strlen(name) >= 128) return CUDA_ERROR_NOT_FOUND;
    fake_function *f = calloc(1, sizeof *f);
    f->ptx = (const char *) hmod;
    strcpy(f->name, name);
    *hfunc = (CUfunction) f;
    return CUDA_SUCCESS;
}
CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz,
                        unsigned int sharedMemBytes, CUstream hStream, void **kernelParams, void **extra) {
    NEED_CONTEXT();
    fake_function *fn = (fake_function *) f;
    if (hStream != FAKE_STREAM || extra != NULL || sharedMemBytes != 0 || kernelParams == NULL) return CUDA_ERROR_INVALID_VALUE;
    if ((unsigned long long) bx * by * bz > 1024) return CUDA_ERROR_INVALID_VALUE;
    char entry[160];
    snprintf(entry, sizeof entry, ".entry %s(", fn->name);
    const char *p = strstr(fn->ptx, entry);
    const char *end = strchr(p, ')');
    int count = 0;
    for (const char *q = strstr(p, ".param "); q && q < end && count < 16; q = strstr(q + 1, ".param ")) {
        unsigned long long v = 0;
        if (strncmp(q, ".param .u64", 11) == 0 || strncmp(q, ".param .b64", 11) == 0) memcpy(&v, kernelParams[count], 8);
        else memcpy(&v, kernelParams[count], 4);
        last_values[count++] = v;
    }
    unsigned int dims[6] = {gx, gy, gz, bx, by, bz};
    memcpy(last_dims, dims, sizeof dims);
    last_count = count;
    return CUDA_SUCCESS;
}
CUresult cuStreamCreate(CUstream *phStream, unsigned int flags) {
    NEED_CONTEXT();
    if (flags != CU_STREAM_DEFAULT) return CUDA_ERROR_INVALID_VALUE;
    *phStream = FAKE_STREAM;
    return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(CUstream s) {
    NEED_CONTEXT();
    return s == FAKE_STREAM ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
CUresult cuStreamDestroy(CUstream s) {
    NEED_CONTEXT();
    return s == FAKE_STREAM ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* Test inspection: the last launch's grid and block, and its parameter values; returns the parameter count. */
int fake_last_launch(unsigned int *dims, unsigned long long *values) {
    memcpy(dims, last_dims, sizeof last_dims);
    if (last_count > 0) memcpy(values, last_values, sizeof(unsigned long long) * last_count);
    return last_count;
}
long fake_live_allocations(void) { return live_allocations; }
int fake_retains(void) { return retains; }
