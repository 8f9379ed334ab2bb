// `node --import usernet/register app.mjs`: see install.ts.
import { install } from './install.js';

install();

export { install };
