package dev.ember.compute.dsl;

/**
 * A translated expression: its C text, its Java type and the C precedence of its outermost operator,
 * so that an enclosing operator knows whether the text needs parentheses.
 */
record CExpr(String code, KernelType type, int prec) {
    static final int ASSIGN = 3;
    static final int COND = 4;
    static final int OR = 5;
    static final int AND = 6;
    static final int BIT_OR = 7;
    static final int BIT_XOR = 8;
    static final int BIT_AND = 9;
    static final int EQUALITY = 10;
    static final int RELATIONAL = 11;
    static final int SHIFT = 12;
    static final int ADDITIVE = 13;
    static final int MULTIPLICATIVE = 14;
    static final int UNARY = 15;
    static final int PRIMARY = 16;

    static CExpr primary(String code, KernelType type) {
        return new CExpr(code, type, PRIMARY);
    }

    /** The text, parenthesized unless its precedence is at least {@code min}. */
    String at(int min) {
        return prec >= min ? code : "(" + code + ")";
    }
}
