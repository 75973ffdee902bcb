package org.minitron4j.tinyworld;

import java.nio.file.Path;

/**
 * What {@link TinyWorld#generate} wrote: the file paths, the word and item counts, the vocabulary size and the
 * unigram baseline (cross-entropy of the validation words under the training split's word frequencies, nats per word).
 */
public record TinyWorldFiles(Path outDir, Path train, Path validation, Path calibration, Path winograndeDev,
                             Path winograndeTrain, Path winograndeEasyDev, Path storyEndings, Path tokenizerJson,
                             Path tokenizerConfig, Path readme, long trainWords, long validationWords,
                             long calibrationWords, int devItems, int fewshotItems, int easyDevItems, int storyItems,
                             int vocabSize, double unigramValidationLoss) {
}
