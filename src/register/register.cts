// `node --require usernet/register app.js`: see install.ts (loaded with require(esm)).
import { install } from './install.js';

install();

export { install };
