#!/usr/bin/env node
// Built by `npm run build` (run automatically by `npm install` through the prepare script).
import('../dist/engine/main.js');
