import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { clusterGrid, embeddingMap, hasImages, plotDiv, retrievalGrid, thumbnailUris } from '../../lib/viz';

const grey = (v: number) => ({ data: new Uint8Array(16 * 16 * 3).fill(v), width: 16, height: 16, channels: 3 as const });

describe('embedding maps', () => {
  it('one trace per person per panel, same colour for a person in every panel, item indices as customdata', () => {
    const persons = ['a', 'b', 'a'];
    const spec = embeddingMap([{ title: 'before', points: [[0, 0], [1, 1], [2, 2]] }, { title: 'after', points: [[5, 5], [6, 6], [7, 7]] }], persons);
    assert.equal(spec.data.length, 4);
    const [a1, b1, a2] = spec.data as { name: string; customdata: number[]; x: number[]; marker: { color: string }; xaxis: string; showlegend: boolean }[];
    assert.deepEqual([a1.name, b1.name, a2.name], ['a', 'b', 'a']);
    assert.deepEqual(a1.customdata, [0, 2]);
    assert.deepEqual(a2.x, [5, 7]);
    assert.equal(a1.marker.color, a2.marker.color);
    assert.notEqual(a1.marker.color, b1.marker.color);
    assert.deepEqual([a1.xaxis, a2.xaxis, a1.showlegend, a2.showlegend], ['x', 'x2', true, false]);
    assert.equal(hasImages(spec), false);
    assert.throws(() => embeddingMap([{ title: 'p', points: [[0, 0]] }], persons), /panel "p": 1 points but 3 persons/);
  });

  it('thumbnails are small JPEG data URIs, and the HTML shows the hovered one beside the chart', async () => {
    const uris = await thumbnailUris([grey(40), grey(200)], 32);
    assert.match(uris[0], /^data:image\/jpeg;base64,/);
    const meta = await sharp(Buffer.from(uris[1].split(',')[1], 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 32, 32]);
    const spec = embeddingMap([{ title: 'p', points: [[0, 0], [1, 1]] }], ['a', 'b'], { images: uris });
    assert.ok(hasImages(spec));
    const html = plotDiv(spec);
    assert.match(html, /plotly_hover/);
    assert.match(html, /img\.src=s\.images\[p\.customdata\]/);
    assert.ok(html.includes(uris[0]), 'thumbnails are embedded once in the figure');
    assert.doesNotMatch(plotDiv({ data: [], layout: {} }), /plotly_hover/);
  });
});

describe('application grids', () => {
  it('retrieval and cluster grids are PNGs sized by their rows', async () => {
    const r = await retrievalGrid([{ query: grey(0), queryLabel: 'q', hits: [{ image: grey(90), label: 'd 0.1', same: true }, { image: grey(180), label: 'd 0.2', same: false }] }], { cellSize: 32 });
    const c = await clusterGrid([{ images: [grey(10), grey(20), grey(30)], persons: ['a', 'a', 'b'] }, { images: [grey(40)] }], { cellSize: 32 });
    const [rm, cm] = [await sharp(r).metadata(), await sharp(c).metadata()];
    assert.equal(rm.format, 'png');
    assert.ok(cm.height! > rm.height!, 'two cluster rows are taller than one query row');
    await assert.rejects(clusterGrid([]), /at least one cluster/);
  });
});
