/**
 * Kotlin Jupyter kernel glue, and nothing else: {@link org.minitron4j.notebook.Minitron4jIntegration} registers
 * renderers (which call {@link org.minitron4j.plot.Summaries} and {@link org.minitron4j.plot.Html}), default
 * imports, PyTorch's threads and the default progress line when the jar is added to a notebook ({@code %use
 * minitron4j}); {@link org.minitron4j.notebook.Notebooks} gives budgets and paths, {@link
 * org.minitron4j.notebook.Datasets} the bundled teacher and TinyWorld data. Compiled against the kernel API (provided scope): no other package may depend on this one.
 */
@NullMarked
package org.minitron4j.notebook;

import org.jspecify.annotations.NullMarked;
