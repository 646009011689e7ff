// Loaded before each test file of notification-service: the service runs in-process there, and
// its info lines (one per command, ack and step) would drown the test report.
process.env.LOG_LEVEL = process.env.LOG_LEVEL || 'warn';
