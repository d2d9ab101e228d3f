/** Visualisation: Plotly specs, PNG image grids, and the one module that displays them in notebooks. */
export * as display from './display';
export { barPlot, linePlot, formatNumber } from './plot';
export type { PlotSpec } from './plot';
export { pixelsToPng } from './image';
export type { PixelImage } from './image';
export { imageGrid, pairGrid, PAIR_COLOURS } from './grid';
export type { GridImage, GridCell, GridRow, GridOptions, PairGridItem } from './grid';
export { imagesPerPersonPlot, topPeoplePlot, brightnessPlot, channelMeansPlot, imageSizePlot, pairBalancePlot, splitSizesPlot } from './data-plots';
export { augmentPreview, augmentPreviewRows } from './augment-preview';
export type { AugmentPreviewOptions } from './augment-preview';
export { errorGallery } from './error-gallery';
export type { GalleryError } from './error-gallery';
export { rocPlot, valueHistogram, thresholdSweepPlot, pairMatrixPlot } from './eval-plots';
export { experimentReportHtml, trainingCurves, examplePairsPng } from './report';
export { plotDiv, plotlyBundleScript } from './plotly-html';
