package dev.ember.compute.dsl;

/**
 * Functions and macros a translation emits ahead of the kernels when they are used. The half-precision
 * conversions work on integer bits only, so they need no fp16 support (OpenCL 1.2 devices such as PoCL
 * lack it) and give, bit for bit, what {@code Float.float16ToFloat} and {@code Float.floatToFloat16}
 * give: round to nearest even, subnormals, infinities and NaNs included.
 */
enum DevicePrelude {
    /** INFINITY and NAN, which NVRTC does not predefine (OpenCL C always has them). */
    FLOAT_SPECIALS("""
            #ifndef INFINITY
            #define INFINITY __int_as_float(0x7f800000)
            #endif
            #ifndef NAN
            #define NAN __int_as_float(0x7fc00000)
            #endif
            """),
    /** KernelMath.f16ToF32: the low 16 bits of an int as IEEE half, widened exactly. */
    F16_TO_F32("""
            $FN float ember_f16_to_f32(int bits) {
                $U sign = ((($U)bits) & 0x8000u) << 16;
                $U exponent = ((($U)bits) >> 10) & 0x1fu;
                $U mantissa = (($U)bits) & 0x3ffu;
                if (exponent == 0x1fu) return $U2F(sign | 0x7f800000u | (mantissa << 13));
                if (exponent != 0u) return $U2F(sign | ((exponent + 112u) << 23) | (mantissa << 13));
                if (mantissa == 0u) return $U2F(sign);
                /* a subnormal half is a normal float: shift the leading one up to the hidden bit */
                $U e = 113u;
                while ((mantissa & 0x400u) == 0u) {
                    mantissa <<= 1;
                    e -= 1u;
                }
                return $U2F(sign | (e << 23) | ((mantissa & 0x3ffu) << 13));
            }
            """),
    /** KernelMath.f32ToF16: a float to IEEE half bits (0..65535), rounded to nearest even. */
    F32_TO_F16("""
            $FN int ember_f32_to_f16(float value) {
                $U bits = $F2U(value);
                $U sign = (bits >> 16) & 0x8000u;
                $U magnitude = bits & 0x7fffffffu;
                if (magnitude > 0x7f800000u) {
                    /* NaN: keep the top payload bits and fold the rest in, so the result stays a NaN */
                    return (int)(sign | 0x7c00u | ((bits & 0x7fe000u) >> 13) | ((bits & 0x1ff0u) >> 4) | (bits & 0xfu));
                }
                if (magnitude >= 0x477ff000u) return (int)(sign | 0x7c00u); /* >= 65520 (and infinity) overflows */
                if (magnitude <= 0x33000000u) return (int)sign; /* <= 2^-25 rounds to zero */
                $U exponent = magnitude >> 23;
                $U kept;
                $U rest;
                $U tie;
                if (exponent < 113u) {
                    /* a half subnormal: units of 2^-24, the hidden bit included */
                    $U mantissa = (magnitude & 0x7fffffu) | 0x800000u;
                    $U shift = 126u - exponent;
                    kept = mantissa >> shift;
                    rest = mantissa & ((1u << shift) - 1u);
                    tie = 1u << (shift - 1u);
                } else {
                    kept = ((exponent - 112u) << 10) | ((magnitude & 0x7fffffu) >> 13);
                    rest = magnitude & 0x1fffu;
                    tie = 0x1000u;
                }
                /* round to nearest, ties to even; a carry runs into the exponent as it should */
                if (rest > tie || (rest == tie && (kept & 1u) != 0u)) kept += 1u;
                return (int)(sign | kept);
            }
            """),
    /** KernelMath.bf16ToF32: bfloat16 bits are the high half of a float. */
    BF16_TO_F32("""
            $FN float ember_bf16_to_f32(int bits) {
                return $U2F((($U)bits) << 16);
            }
            """);

    private final String template;

    DevicePrelude(String template) {
        this.template = template;
    }

    String source(Target target) {
        boolean cl = target == Target.OPENCL;
        return template.replace("$FN", target.functionPrefix())
                .replace("$U2F", cl ? "as_float" : "__uint_as_float")
                .replace("$F2U", cl ? "as_uint" : "__float_as_uint")
                .replace("$U", target.unsigned(KernelType.INT));
    }
}
