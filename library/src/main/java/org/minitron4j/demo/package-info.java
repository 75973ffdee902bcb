/**
 * The one-command demo ({@link org.minitron4j.demo.Demo}): the bundled TinyWorld teacher → importance → width- and
 * depth-pruned students → knowledge distillation → evaluation, written as an offline HTML report and a JSON of results.
 */
@NullMarked
package org.minitron4j.demo;

import org.jspecify.annotations.NullMarked;
