package dev.ember.chat;

import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.StringConcatOperator;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.Scanner.Symbol;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;

import java.util.ArrayList;
import java.util.List;

/**
 * Jinjava's expression parser with the jinja2 grammar rules it gets wrong or lacks:
 * <ul>
 *   <li>{@code not} binds looser than comparisons and tests: {@code not x is defined} is {@code not (x is defined)},
 *       not {@code (not x) is defined} (Llama 3 and DeepSeek start with exactly that);</li>
 *   <li>a keyword argument's value is a whole expression: {@code namespace(n=xs|length - 1)} (Qwen3);</li>
 *   <li>full slices {@code [start:stop:step]}, any part optional: {@code messages[::-1]} (Qwen3);</li>
 *   <li>{@code ~} concatenates Python {@code str()}s ({@link PyConcatOperator}); {@code +} refuses to add a
 *       string to a non-string ({@link PyAddOperator}).</li>
 * </ul>
 * Everything else is Jinjava's; this relies on natural operator precedence, which the environment sets.
 */
final class PyParser extends ExtendedParser {

    PyParser(Builder context, String input) {
        super(context, input);
        putExtensionHandler(StringConcatOperator.TOKEN, PyConcatOperator.HANDLER);
    }

    @Override
    protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
        return super.createAstBinary(left, right, operator == AdditionOperator.OP ? PyAddOperator.OP : operator);
    }

    @Override
    protected AstNode eq(boolean required) throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.NOT) {
            consumeToken();
            return createAstUnary(eq(true), AstUnary.NOT);
        }
        return super.eq(required);
    }

    @Override
    protected AstParameters params(Symbol left, Symbol right) throws ScanException, ParseException {
        consumeToken(left);
        List<AstNode> args = new ArrayList<>();
        if (getToken().getSymbol() != right) {
            args.add(argument());
            while (getToken().getSymbol() == Symbol.COMMA) {
                consumeToken();
                if (getToken().getSymbol() == right) break; // trailing comma, as Python allows
                args.add(argument());
            }
        }
        consumeToken(right);
        return createAstParameters(args);
    }

    /** {@code name=expression} or a positional expression. */
    private AstNode argument() throws ScanException, ParseException {
        if (getToken().getSymbol() == Symbol.IDENTIFIER && "=".equals(lookahead(0).getImage())) {
            AstIdentifier name = identifier(consumeToken().getImage());
            consumeToken(); // '='
            return new AstNamedParameter(name, expr(true));
        }
        return expr(true);
    }

    @Override
    protected AstNode value() throws ScanException, ParseException {
        boolean lvalue = true;
        AstNode v = nonliteral();
        if (v == null) {
            v = literal();
            if (v == null) return null;
            lvalue = false;
        }
        boolean methods = context.isEnabled(Builder.Feature.METHOD_INVOCATIONS);
        boolean strict = !context.isEnabled(Builder.Feature.NULL_PROPERTIES);
        while (true) {
            switch (getToken().getSymbol()) {
                case DOT -> {
                    consumeToken();
                    AstDot dot = createAstDot(v, consumeToken(Symbol.IDENTIFIER).getImage(), lvalue);
                    v = getToken().getSymbol() == Symbol.LPAREN && methods ? createAstMethod(dot, params()) : dot;
                }
                case LBRACK -> {
                    consumeToken();
                    AstNode first = getToken().getSymbol() == Symbol.COLON ? null : expr(true);
                    if (getToken().getSymbol() == Symbol.RBRACK) {
                        consumeToken();
                        var bracket = createAstBracket(v, first, lvalue, strict);
                        v = getToken().getSymbol() == Symbol.LPAREN && methods
                                ? createAstMethod(bracket, params()) : bracket;
                    } else {
                        consumeToken(Symbol.COLON);
                        AstNode stop = sliceBound();
                        AstNode step = null;
                        if (getToken().getSymbol() == Symbol.COLON) {
                            consumeToken();
                            step = sliceBound();
                        }
                        consumeToken(Symbol.RBRACK);
                        v = new AstSlice(v, first, stop, step, lvalue, strict);
                    }
                }
                default -> {
                    return v;
                }
            }
        }
    }

    /** An optional slice part: absent when the next token ends it. */
    private AstNode sliceBound() throws ScanException, ParseException {
        Symbol s = getToken().getSymbol();
        return s == Symbol.COLON || s == Symbol.RBRACK ? null : expr(true);
    }
}
