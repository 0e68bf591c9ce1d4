// Render pages and components with miniprogram-simulate; a fresh `wx` of jest mocks for every test.
const path = require('path')
const simulate = require('miniprogram-simulate')

const SRC = path.join(__dirname, '../src')
const loaded = {}

// jest caches a required script, so a component shared by several pages would call Component() only for
// the first page loaded. Remember each script's definition and register it again for every later page.
const simulateUtils = require('miniprogram-simulate/src/utils')
const definitions = {}
const registerComponent = global.Component
let running = null
global.Component = options => {
  if (running) definitions[running] = options
  registerComponent(options)
}
simulateUtils.runJs = filePath => {
  if (definitions[filePath]) {
    registerComponent(definitions[filePath])
    return
  }
  running = filePath
  try {
    require(filePath) // eslint-disable-line import/no-dynamic-require, global-require
  } finally {
    running = null
  }
}

// Each page's script registers its component when first required (jest caches modules), so load once.
function load(relative) {
  if (!loaded[relative]) loaded[relative] = simulate.load(path.join(SRC, relative), { rootPath: SRC })
  return loaded[relative]
}

function render(relative, properties) {
  const comp = simulate.render(load(relative), properties)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// Let every pending promise (the mocked api calls and the page's awaits) settle.
async function flush() {
  for (let i = 0; i < 10; i += 1) await simulate.sleep(0)
}

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ').trim()
}

function query(comp, selector) {
  return comp.querySelector(selector)
}

// A promise that never settles: the page stays in its loading state.
function pending() {
  return new Promise(() => {})
}

function resetWx() {
  const storage = {}
  Object.assign(global.wx, {
    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    reLaunch: jest.fn(),
    switchTab: jest.fn(),
    showToast: jest.fn(),
    showModal: jest.fn(options => options.success && options.success({ confirm: true, cancel: false })),
    stopPullDownRefresh: jest.fn(),
    scanCode: jest.fn(),
    getLocation: jest.fn(),
    openSetting: jest.fn(),
    chooseMedia: jest.fn(),
    compressImage: jest.fn(),
    previewImage: jest.fn(),
    getStorageSync: jest.fn(key => storage[key]),
    setStorageSync: jest.fn((key, value) => { storage[key] = value }),
    removeStorageSync: jest.fn(key => { delete storage[key] }),
  })
}

function apiError(message, code = 'error', status = 400) {
  const error = new Error(message)
  error.code = code
  error.status = status
  return error
}

function page(items, meta = {}) {
  return { items, meta: Object.assign({ page: 1, per_page: 20, total: items.length, pages: items.length ? 1 : 0 }, meta) }
}

module.exports = { SRC, load, render, flush, text, query, pending, resetWx, apiError, page, simulate }
