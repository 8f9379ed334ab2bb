import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate, serialisationMs } from '../../src/links/rate.js';

test('parseRate reads tc units: bit and byte rates, SI and IEC prefixes, bare numbers as bit/s', () => {
  assert.equal(parseRate('20mbit'), 20e6);
  assert.equal(parseRate('1gbit'), 1e9);
  assert.equal(parseRate('100kbit'), 100e3);
  assert.equal(parseRate('1.5mbps'), 12e6);
  assert.equal(parseRate('8bps'), 64);
  assert.equal(parseRate('1kibit'), 1024);
  assert.equal(parseRate('2Mibps'), 2 * 1024 * 1024 * 8);
  assert.equal(parseRate('1TBIT'), 1e12);
  assert.equal(parseRate('9600'), 9600);
  assert.equal(parseRate('9600bit'), 9600);
  assert.equal(parseRate(' 10 mbit '), 10e6);
  assert.equal(parseRate(56000), 56000);
});

test('parseRate refuses what is not a positive finite rate, with a RangeError naming the input', () => {
  for (const bad of ['', 'fast', '10m', '10 megabit', '-1mbit', '0', '0mbit', '1e400bit', 'mbit']) {
    assert.throws(() => parseRate(bad), (e: unknown) => e instanceof RangeError && e.message.includes(bad), bad);
  }
  assert.throws(() => parseRate(0), RangeError);
  assert.throws(() => parseRate(-5), RangeError);
  assert.throws(() => parseRate(NaN), RangeError);
  assert.throws(() => parseRate(Infinity), RangeError);
  assert.throws(() => parseRate('10m'), /cannot parse '10m'/);
  assert.throws(() => parseRate({} as unknown as string), TypeError);
});

test('serialisation time: 1500 bytes at 1 Mbit/s take 12 ms', () => {
  assert.equal(serialisationMs(1500, 1e6), 12);
  assert.equal(serialisationMs(64, parseRate('1gbit')), 0.000512);
});
