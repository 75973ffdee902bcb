/**
 * Kotlin Jupyter kernel glue, and nothing else: {@link org.minitron4j.notebook.Minitron4jIntegration} registers
 * renderers (which call {@link org.minitron4j.plot.Summaries} and {@link org.minitron4j.plot.Html}) and default
 * imports when the jar is added to a notebook; {@link org.minitron4j.notebook.Notebooks} gives a live progress line
 * and notebook settings. Compiled against the kernel API (provided scope): no other package may depend on this one.
 */
@NullMarked
package org.minitron4j.notebook;

import org.jspecify.annotations.NullMarked;
