package org.minitron4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.minitron4j.JsonMappers;

/** The one JSON object a command prints on stdout with {@code --json}. */
final class Json {
    static final ObjectMapper MAPPER = JsonMappers.shared();
    // A recorded run or a replay keeps the object the command prints on this thread (RunRecorder).
    private static final ThreadLocal<Capture> CAPTURE = new ThreadLocal<>();

    private Json() {
    }

    /** What {@link #print} kept while capturing ({@code echo} also prints it), and the command's error line. */
    static final class Capture {
        final boolean echo;
        ObjectNode printed;
        String error;

        Capture(boolean echo) {
            this.echo = echo;
        }
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static void print(ObjectNode node) {
        Capture c = CAPTURE.get();
        if (c != null) {
            c.printed = node;
            if (!c.echo) {
                return;
            }
        }
        try {
            System.out.println(MAPPER.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts keeping what {@link #print} prints on this thread; {@link #endCapture()} returns it. */
    static Capture beginCapture(boolean echo) {
        Capture c = new Capture(echo);
        CAPTURE.set(c);
        return c;
    }

    /** Keeps the error line a failing command printed, for the caller that is capturing on this thread. */
    static void error(String line) {
        Capture c = CAPTURE.get();
        if (c != null) {
            c.error = line;
        }
    }

    static void endCapture() {
        CAPTURE.remove();
    }
}
