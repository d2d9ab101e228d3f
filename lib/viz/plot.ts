/**
 * Plot specs: plain Plotly `{data, layout}` objects. viz functions build them, tests inspect them, and
 * only `display.ts` (notebooks) or `html.ts` (reports) renders them.
 *
 * @see notebooks/00-environment.ipynb
 */

/** A Plotly figure as plain JSON data. */
export interface PlotSpec {
  readonly data: readonly Record<string, unknown>[];
  readonly layout: Record<string, unknown>;
}

/** A bar chart of labelled values. */
export function barPlot(labels: readonly string[], values: readonly number[], title: string, yTitle = ''): PlotSpec {
  if (labels.length !== values.length) throw new RangeError(`barPlot: ${labels.length} labels but ${values.length} values`);
  return {
    data: [{ type: 'bar', x: [...labels], y: [...values], text: values.map((v) => formatNumber(v)), textposition: 'auto' }],
    layout: { title: { text: title }, yaxis: { title: { text: yTitle } }, margin: { t: 50, l: 60, r: 20, b: 60 }, height: 360 },
  };
}

/** A line chart: one trace per named series over a shared x. */
export function linePlot(x: readonly number[], series: Readonly<Record<string, readonly number[]>>, title: string,
  axes: { x?: string; y?: string } = {}): PlotSpec {
  const data = Object.entries(series).map(([name, y]) => {
    if (y.length !== x.length) throw new RangeError(`linePlot: series "${name}" has ${y.length} points, x has ${x.length}`);
    return { type: 'scatter', mode: 'lines+markers', name, x: [...x], y: [...y] };
  });
  return {
    data,
    layout: {
      title: { text: title }, height: 360, margin: { t: 50, l: 60, r: 20, b: 50 },
      xaxis: { title: { text: axes.x ?? '' } }, yaxis: { title: { text: axes.y ?? '' } },
    },
  };
}

/** Three significant digits, no exponent for ordinary magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}
