// The result views moved to views/ (one module per analysis); this keeps old imports working.
export * from './views/index.js';
