/*
 * A stand-in for libnvrtc used by CudaFakeDriverTest: the NVRTC calls the backend makes, with the compile
 * done by running nvcc -ptx (path in NVCC) for the architecture named by --gpu-architecture=. nvcc's
 * output is the program log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int nvrtcResult;
typedef struct { char *src; char *name; char *ptx; char *log; } program;
typedef program *nvrtcProgram;

enum { SUCCESS = 0, INVALID_INPUT = 3, COMPILATION = 6 };

const char *nvrtcGetErrorString(nvrtcResult r) {
    switch (r) {
        case SUCCESS: return "NVRTC_SUCCESS";
        case INVALID_INPUT: return "NVRTC_ERROR_INVALID_INPUT";
        case COMPILATION: return "NVRTC_ERROR_COMPILATION";
        default: return "NVRTC_ERROR unknown";
    }
}

nvrtcResult nvrtcVersion(int *major, int *minor) { *major = 13; *minor = 0; return SUCCESS; }

nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders, const char *const *headers, const char *const *includeNames) {
    if (!prog || !src || numHeaders != 0 || headers || includeNames) return INVALID_INPUT;
    program *p = calloc(1, sizeof *p);
    p->src = strdup(src);
    p->name = strdup(name ? name : "default_program");
    *prog = p;
    return SUCCESS;
}

nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog) {
    program *p = *prog;
    free(p->src); free(p->name); free(p->ptx); free(p->log); free(p);
    *prog = NULL;
    return SUCCESS;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, n + 1);
    if (fread(s, 1, n, f) != (size_t) n) s[0] = 0;
    fclose(f);
    return s;
}

nvrtcResult nvrtcCompileProgram(nvrtcProgram p, int numOptions, const char *const *options) {
    const char *arch = NULL;
    for (int i = 0; i < numOptions; i++) {
        if (strncmp(options[i], "--gpu-architecture=", 19) == 0) arch = options[i] + 19;
    }
    if (!arch) return INVALID_INPUT;
    char dir[] = "/tmp/fake-nvrtc-XXXXXX";
    if (!mkdtemp(dir)) return INVALID_INPUT;
    char cu[512], ptx[512], log[512], cmd[2048];
    snprintf(cu, sizeof cu, "%s/%s", dir, p->name);
    snprintf(ptx, sizeof ptx, "%s/out.ptx", dir);
    snprintf(log, sizeof log, "%s/log.txt", dir);
    FILE *f = fopen(cu, "w");
    fputs(p->src, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd %s && %s -ptx -arch=%s %s -o %s > %s 2>&1", dir, NVCC, arch, p->name, ptx, log);
    int status = system(cmd);
    p->log = slurp(log);
    if (status == 0) p->ptx = slurp(ptx);
    unlink(cu); unlink(ptx); unlink(log); rmdir(dir);
    return status == 0 ? SUCCESS : COMPILATION;
}

nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram p, size_t *n) { *n = strlen(p->log ? p->log : "") + 1; return SUCCESS; }
nvrtcResult nvrtcGetProgramLog(nvrtcProgram p, char *out) { strcpy(out, p->log ? p->log : ""); return SUCCESS; }
nvrtcResult nvrtcGetPTXSize(nvrtcProgram p, size_t *n) { if (!p->ptx) return INVALID_INPUT; *n = strlen(p->ptx) + 1; return SUCCESS; }
nvrtcResult nvrtcGetPTX(nvrtcProgram p, char *out) { if (!p->ptx) return INVALID_INPUT; strcpy(out, p->ptx); return SUCCESS; }
