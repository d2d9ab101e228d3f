/**
 * The project's core data types, one definition each.
 *
 * @see notebooks/01-lfw-analysis.ipynb
 */

/** The one label convention: 1 = the two images show the same person, 0 = different people. */
export type IsSame = 0 | 1;

/** Values of labelled pairs (a model's distances or similarity scores), one per pair, beside the pairs' labels. */
export interface LabelledValues {
  readonly values: readonly number[];
  readonly isSame: readonly IsSame[];
}

/** {@link LabelledValues} with the decision threshold applied to them and its direction. */
export interface ThresholdedValues extends LabelledValues {
  readonly threshold: number;
  readonly higherIsCloser: boolean;
}

/** One image of one person (LFW's 1-based numbers map to `Name_%04d.jpg`). */
export interface ImageRef {
  readonly person: string;
  readonly file: string;
}

/** Two images and whether they show the same person. */
export interface Pair {
  readonly a: ImageRef;
  readonly b: ImageRef;
  readonly isSame: IsSame;
}

/** Where a pair came from: the pair file and its 1-based line number. */
export interface PairSource {
  readonly file: string;
  readonly line: number;
}

/**
 * Pairs plus their provenance. `sources[i]` and `folds[i]` describe `pairs[i]`. View 2 (`pairs.txt`) has
 * ten folds numbered 0..9; View 1 files, the Siamese CNN reference's lists and sampled pairs have a single fold 0.
 */
export interface PairList {
  /** A short name, e.g. `pairsDevTrain` or `split/train`. */
  readonly name: string;
  readonly pairs: readonly Pair[];
  readonly sources: readonly PairSource[];
  readonly folds: readonly number[];
  readonly numFolds: number;
}

/** How many channels a decoded image has: 1 = grey, 3 = RGB. */
export type Channels = 1 | 3;

/** A decoded image: 8-bit pixels in row-major HWC order. */
export interface DecodedImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: Channels;
}

/** How pixel values in [0, 1] are mapped for a model. */
export type Normalization = 'zeroOne' | 'minusOneOne' | 'byte' | 'imagenet';

/** What a model wants as input: square side, channels and value range. JSON data. */
export interface Preprocessing {
  readonly size: number;
  readonly channels: Channels;
  readonly normalization: Normalization;
}
