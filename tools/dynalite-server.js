// Starts the dynalite DynamoDB emulator on 127.0.0.1 only (its own CLI binds every
// interface). Usage: node dynalite-server.js PORT
'use strict';
const dynalite = require('dynalite');

const port = Number(process.argv[2] || 8000);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(port, '127.0.0.1', (err) => {
  if (err) {
    console.error(`dynalite: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`dynalite listening on http://127.0.0.1:${port}`);
});
