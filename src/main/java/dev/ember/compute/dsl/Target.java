package dev.ember.compute.dsl;

/**
 * A device language the {@link KernelTranslator} writes, with its spellings of types, qualifiers,
 * work-item built-ins and math functions.
 */
public enum Target {
    /** OpenCL C 1.2 (PoCL, GPU drivers); needs no fp16 or fp64 extension. */
    OPENCL,
    /** CUDA C++ for NVRTC or nvcc. */
    CUDA;

    /** Display name for the header comment. */
    String language() {
        return this == OPENCL ? "OpenCL C 1.2" : "CUDA C++";
    }

    /**
     * Compiler options under which the generated arithmetic rounds as Java's does: correctly rounded
     * float division and square root, and no contraction of {@code a * b + c} into a fused multiply-add
     * (the OpenCL source also says {@code #pragma OPENCL FP_CONTRACT OFF}).
     */
    public String compilerOptions() {
        return this == OPENCL ? "-cl-fp32-correctly-rounded-divide-sqrt" : "--fmad=false";
    }

    /** The C type of a scalar. */
    String scalar(KernelType t) {
        return switch (t) {
            case VOID -> "void";
            case BOOLEAN -> "bool";
            case INT -> "int";
            case LONG -> this == OPENCL ? "long" : "long long";
            case FLOAT -> "float";
            default -> throw new IllegalArgumentException("not a scalar: " + t);
        };
    }

    /** The unsigned type of the same width as an integral type, for Java's {@code >>>}. */
    String unsigned(KernelType t) {
        if (t == KernelType.INT) return this == OPENCL ? "uint" : "unsigned int";
        if (t == KernelType.LONG) return this == OPENCL ? "ulong" : "unsigned long long";
        throw new IllegalArgumentException("not integral: " + t);
    }

    /** The element type a buffer's pointer points to. */
    String bufferElement(KernelType buffer) {
        return switch (buffer) {
            case F32_BUFFER -> "float";
            case I32_BUFFER -> "int";
            case U16_BUFFER -> this == OPENCL ? "ushort" : "unsigned short";
            case U8_BUFFER -> this == OPENCL ? "uchar" : "unsigned char";
            default -> throw new IllegalArgumentException("not a buffer: " + buffer);
        };
    }

    /** The declaration prefix of a pointer to a buffer's elements, without the star. */
    String bufferBase(KernelType buffer) {
        return (this == OPENCL ? "__global " : "") + bufferElement(buffer);
    }

    /** The declaration prefix of a pointer to a work-group-shared array's elements, without the star. */
    String arrayBase(KernelType array) {
        return (this == OPENCL ? "__local " : "") + scalar(array.element());
    }

    /** A work-group-shared array declaration. */
    String sharedArray(KernelType array, String name, String size) {
        return (this == OPENCL ? "__local " : "__shared__ ") + scalar(array.element()) + " " + name + "[" + size + "];";
    }

    /** What precedes a kernel's name. */
    String kernelPrefix() {
        return this == OPENCL ? "__kernel void" : "extern \"C\" __global__ void";
    }

    /** What precedes a device function's return type. */
    String functionPrefix() {
        return this == OPENCL ? "static inline" : "static __device__ inline";
    }

    /**
     * A work-group barrier. Java's barrier makes every earlier write of the group visible, to shared
     * and to global memory (kernels may exchange data through a scratch buffer), so both are fenced.
     */
    String barrier() {
        return this == OPENCL ? "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)" : "__syncthreads()";
    }

    /** A {@link KernelContext} id or size query for dimension {@code dim} (0..2), as an int. */
    CExpr workItem(String query, int dim) {
        if (this == OPENCL) {
            String fn = switch (query) {
                case "globalId" -> "get_global_id";
                case "localId" -> "get_local_id";
                case "groupId" -> "get_group_id";
                case "localSize" -> "get_local_size";
                case "groupCount" -> "get_num_groups";
                case "globalSize" -> "get_global_size";
                default -> throw new IllegalArgumentException(query);
            };
            return new CExpr("(int)" + fn + "(" + dim + ")", KernelType.INT, CExpr.UNARY);
        }
        String d = String.valueOf("xyz".charAt(dim));
        String code = switch (query) {
            case "globalId" -> "(int)(blockIdx." + d + " * blockDim." + d + " + threadIdx." + d + ")";
            case "localId" -> "(int)threadIdx." + d;
            case "groupId" -> "(int)blockIdx." + d;
            case "localSize" -> "(int)blockDim." + d;
            case "groupCount" -> "(int)gridDim." + d;
            case "globalSize" -> "(int)(gridDim." + d + " * blockDim." + d + ")";
            default -> throw new IllegalArgumentException(query);
        };
        return new CExpr(code, KernelType.INT, CExpr.UNARY);
    }

    /** {@code atomicAdd} on an int element, returning the old value. */
    String atomicAdd(String pointer, String delta) {
        return (this == OPENCL ? "atomic_add(" : "atomicAdd(") + pointer + ", " + delta + ")";
    }

    /** The float function named by its OpenCL name ({@code exp}, {@code sqrt}, {@code fmax}, ...). */
    String floatFunction(String openclName) {
        return this == OPENCL ? openclName : openclName + "f";
    }

    /** Float to int or long as Java converts: toward zero, saturating, NaN to 0. */
    String floatToIntegral(KernelType to, String operand) {
        if (this == OPENCL) return (to == KernelType.INT ? "convert_int_sat(" : "convert_long_sat(") + operand + ")";
        return (to == KernelType.INT ? "__float2int_rz(" : "__float2ll_rz(") + operand + ")";
    }

    /** Reinterprets float bits as an int. */
    String floatAsInt(String operand) {
        return (this == OPENCL ? "as_int(" : "__float_as_int(") + operand + ")";
    }

    /** Reinterprets int bits as a float. */
    String intAsFloat(String operand) {
        return (this == OPENCL ? "as_float(" : "__int_as_float(") + operand + ")";
    }

    /** The C type for Java's byte, short or char, used in narrowing casts. */
    String narrow(String javaType) {
        return switch (javaType) {
            case "byte" -> this == OPENCL ? "char" : "signed char";
            case "short" -> "short";
            case "char" -> this == OPENCL ? "ushort" : "unsigned short";
            default -> throw new IllegalArgumentException(javaType);
        };
    }

    /** Suffix of a long literal. */
    String longSuffix() {
        return this == OPENCL ? "L" : "LL";
    }

    /** The integer max / min / abs function for int or long operands. */
    String integerFunction(String name, KernelType type) {
        if (this == OPENCL || type == KernelType.INT) return name;
        return switch (name) {
            case "max" -> "llmax";
            case "min" -> "llmin";
            case "abs" -> "llabs";
            default -> throw new IllegalArgumentException(name);
        };
    }
}
