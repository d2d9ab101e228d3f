export * as display from './display';
export { barPlot, linePlot, formatNumber } from './plot';
export type { PlotSpec } from './plot';
export { pixelsToPng } from './image';
export type { PixelImage } from './image';
