package org.minitron4j.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.minitron4j.InvalidInputException;

/** Sizes given on the command line ({@code --shard-size 5GiB}, {@code --memory 8GB}). */
final class ByteSizes {
    private ByteSizes() {
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|K|M|G|T)");

    /**
     * "5GiB", "500MB", "1000000": bytes, with Hugging Face's units (KB = 1000, KiB = 1024); a bare K, M, G or T is
     * binary, as in the JVM's {@code -Xmx8g}.
     */
    static long parse(String option, String text) {
        Matcher m = SIZE.matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!m.matches()) {
            throw new InvalidInputException(option + " '" + text + "': not a size (e.g. 5GiB, 500MB or a number of bytes)");
        }
        long unit = switch (m.group(2)) {
            case "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            case "GB" -> 1_000_000_000L;
            case "TB" -> 1_000_000_000_000L;
            case "KIB", "K" -> 1L << 10;
            case "MIB", "M" -> 1L << 20;
            case "GIB", "G" -> 1L << 30;
            case "TIB", "T" -> 1L << 40;
            default -> 1L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new InvalidInputException(option + " '" + text + "': too large");
        }
    }
}
