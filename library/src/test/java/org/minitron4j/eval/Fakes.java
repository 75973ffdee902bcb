package org.minitron4j.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test doubles: word and character encoders, and a scorer reading log-probs from a fixed bigram table. */
final class Fakes {
    private Fakes() {}

    /** Splits on whitespace and numbers words in order of first appearance (shared vocabulary). */
    static final class WordEncoder implements TextEncoder {
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> words = new ArrayList<>();
        final Integer prefix;

        WordEncoder(Integer prefix) {
            this.prefix = prefix;
        }

        int id(String w) {
            return ids.computeIfAbsent(w, k -> {
                words.add(k);
                return words.size() - 1 + 100;
            });
        }

        String word(int id) {
            return id < 100 ? "<" + id + ">" : words.get(id - 100);
        }

        @Override
        public int[] encode(String text) {
            return java.util.Arrays.stream(text.split("\\s+")).filter(s -> !s.isEmpty()).mapToInt(this::id).toArray();
        }

        @Override
        public OptionalInt prefixTokenId() {
            return prefix == null ? OptionalInt.empty() : OptionalInt.of(prefix);
        }
    }

    /** GPT-2-like: leading whitespace attaches to the next word, so "a b" is ["a", " b"] and "a " is ["a", " "]. */
    static final class SpaceBeforeEncoder implements TextEncoder {
        private static final Pattern TOKEN = Pattern.compile("\\s*\\S+|\\s+");
        final WordEncoder vocab = new WordEncoder(null);

        List<String> tokens(String text) {
            List<String> out = new ArrayList<>();
            Matcher m = TOKEN.matcher(text);
            while (m.find()) {
                out.add(m.group());
            }
            return out;
        }

        @Override
        public int[] encode(String text) {
            return tokens(text).stream().mapToInt(vocab::id).toArray();
        }
    }

    /** One token per char (its code), prefix id 0. */
    static final TextEncoder CHARS = new TextEncoder() {
        @Override
        public int[] encode(String text) {
            return text.chars().toArray();
        }

        @Override
        public OptionalInt prefixTokenId() {
            return OptionalInt.of(0);
        }
    };

    static String chars(int[] ids) {
        return new String(ids, 0, ids.length);
    }

    /** Sums table[prev word + " " + next word] (default -2) over the continuation; records every request. */
    static final class BigramScorer implements LoglikelihoodScorer {
        final WordEncoder enc;
        final Map<String, Double> table;
        final List<LoglikelihoodRequest> seen = new ArrayList<>();

        BigramScorer(WordEncoder enc, Map<String, Double> table) {
            this.enc = enc;
            this.table = table;
        }

        @Override
        public List<Loglikelihood> score(List<LoglikelihoodRequest> requests) {
            seen.addAll(requests);
            List<Loglikelihood> out = new ArrayList<>();
            for (LoglikelihoodRequest r : requests) {
                int prev = r.context()[r.context().length - 1];
                double sum = 0;
                for (int t : r.continuation()) {
                    sum += table.getOrDefault(enc.word(prev) + " " + enc.word(t), -2.0);
                    prev = t;
                }
                out.add(new Loglikelihood(sum, false));
            }
            return out;
        }
    }

    /** Records requests and returns a fixed value for each. */
    static final class RecordingScorer implements LoglikelihoodScorer {
        final List<LoglikelihoodRequest> seen = new ArrayList<>();

        @Override
        public List<Loglikelihood> score(List<LoglikelihoodRequest> requests) {
            seen.addAll(requests);
            List<Loglikelihood> out = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                out.add(new Loglikelihood(-(i % 2) - 1.0, false)); // first option always wins
            }
            return out;
        }
    }
}
