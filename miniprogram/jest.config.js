module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.js'],
  setupFiles: ['<rootDir>/test/setup.js'],
  resetMocks: true,
}
