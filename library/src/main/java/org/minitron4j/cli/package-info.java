/**
 * The {@code ./minitron4j} command line ({@link org.minitron4j.cli.Main}): one class per command, each mapping its flags
 * to the library's options and checking the flag values first so that a refusal names the flag; bad input exits with
 * code 2. Nothing in the library depends on this package.
 */
package org.minitron4j.cli;
