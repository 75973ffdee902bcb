package org.minitron4j.eval;

import java.util.OptionalInt;
import org.minitron4j.model.Tokenizer;

/** Encodes text to token ids without special tokens, as the harness's {@code tok_encode} does for causal models. */
@FunctionalInterface
public interface TextEncoder {
    /** Token ids of {@code text}, without special tokens. */
    int[] encode(String text);

    /** The id put in front of a context that encodes to nothing; empty if there is none. */
    default OptionalInt prefixTokenId() {
        return OptionalInt.empty();
    }

    /** Wraps a tokenizer: no special tokens; the prefix id is BOS if known, else EOS (as the harness's HFLM). */
    static TextEncoder of(Tokenizer tokenizer) {
        OptionalInt prefix = tokenizer.bosTokenId().isPresent() ? tokenizer.bosTokenId() : tokenizer.eosTokenId();
        return new TextEncoder() {
            @Override
            public int[] encode(String text) {
                return tokenizer.encode(text, false);
            }

            @Override
            public OptionalInt prefixTokenId() {
                return prefix;
            }
        };
    }
}
