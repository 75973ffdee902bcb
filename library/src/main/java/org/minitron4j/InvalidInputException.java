package org.minitron4j;

/**
 * Bad input from the user: a corrupt or mismatched checkpoint, an impossible plan, malformed data, an absent device.
 *
 * <p>The message must name the offending file, tensor, key or value, because it is all the user sees: the CLI prints it
 * without a stack trace and exits with code 2. Programming errors stay ordinary runtime exceptions.
 */
public class InvalidInputException extends RuntimeException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
