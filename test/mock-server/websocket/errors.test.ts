/** The WebSocket API's error registry: documented in docs/errors.md, every id used by the WebSocket code. */
import { WEBSOCKET_ERRORS } from '../../../mock-server/websocket/errors.js';
import { describeRegistry } from '../../support/error-registry.js';

describeRegistry('websocket', { table: WEBSOCKET_ERRORS, file: 'mock-server/websocket/errors.ts', tree: 'mock-server/websocket' });
