// Creates (initdb) an embedded PostgreSQL data directory, then exits: store/connection.ts runs this
// in a short-lived child process on first start. PGlite's initdb grows the wasm heap to about
// 900 MB, which a process keeps for its whole life; the server then opens the ready directory at
// about a third of that. Plain JavaScript, so no loader is needed.
import { PGlite } from '@electric-sql/pglite';

const db = await PGlite.create(process.argv[2]);
await db.close();
