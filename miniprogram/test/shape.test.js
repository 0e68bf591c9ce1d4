// The folder imports into WeChat DevTools: the configuration files have the shapes WeChat requires,
// every page and component has its four files, and the official compilers accept the WXML and WXSS.
const fs = require('fs')
const path = require('path')
const compiler = require('miniprogram-compiler')

const ROOT = path.join(__dirname, '..')
const project = readJson(path.join(ROOT, 'project.config.json'))
const SRC = path.join(ROOT, project.miniprogramRoot)
const app = readJson(path.join(SRC, 'app.json'))

// Keys WeChat documents for each file (全局配置, 页面配置, 自定义组件, 项目配置文件).
const WINDOW_KEYS = [
  'navigationBarBackgroundColor', 'navigationBarTextStyle', 'navigationBarTitleText', 'navigationStyle',
  'homeButton', 'backgroundColor', 'backgroundTextStyle', 'backgroundColorTop', 'backgroundColorBottom',
  'enablePullDownRefresh', 'onReachBottomDistance', 'pageOrientation', 'restartStrategy',
  'initialRenderingCache', 'visualEffectInBackground', 'handleWebviewPreload',
]
const APP_KEYS = [
  'entryPagePath', 'pages', 'window', 'tabBar', 'networkTimeout', 'debug', 'functionalPages', 'subpackages',
  'subPackages', 'workers', 'requiredBackgroundModes', 'requiredPrivateInfos', 'plugins', 'preloadRule',
  'resizable', 'usingComponents', 'permission', 'sitemapLocation', 'style', 'useExtendedLib', 'entranceDeclare',
  'darkmode', 'themeLocation', 'lazyCodeLoading', 'singlePage', 'supportedMaterials', 'serviceProviderTicket',
  'embeddedAppIdList', 'halfPage', 'debugOptions', 'enablePassiveEvent', 'resolveAlias', 'renderer',
  'rendererOptions', 'componentFramework', 'miniApp', 'static', 'chooseLocationMode', 'appBar', 'convertRpxToVw',
]
const PAGE_KEYS = WINDOW_KEYS.concat([
  'usingComponents', 'style', 'singlePage', 'enablePassiveEvent', 'renderer', 'rendererOptions',
  'componentFramework', 'disableScroll', 'componentPlaceholder',
])
const COMPONENT_KEYS = ['component', 'usingComponents', 'componentGenerics', 'componentPlaceholder', 'styleIsolation', 'pureDataPattern', 'renderer', 'componentFramework']
const TABBAR_KEYS = ['color', 'selectedColor', 'backgroundColor', 'borderStyle', 'list', 'position', 'custom']
const TABBAR_ITEM_KEYS = ['pagePath', 'text', 'iconPath', 'selectedIconPath']
const NETWORK_TIMEOUT_KEYS = ['request', 'connectSocket', 'uploadFile', 'downloadFile']
const PROJECT_KEYS = [
  'description', 'projectname', 'appid', 'compileType', 'miniprogramRoot', 'qcloudRoot', 'pluginRoot',
  'cloudbaseRoot', 'cloudfunctionRoot', 'cloudfunctionTemplateRoot', 'cloudcontainerRoot', 'libVersion',
  'setting', 'packOptions', 'debugOptions', 'watchOptions', 'scripts', 'staticServerOptions', 'editorSetting',
  'condition', 'srcMiniprogramRoot', 'simulatorType', 'simulatorPluginLibVersion', 'testRoot',
]
const PROJECT_SETTING_KEYS = [
  'urlCheck', 'es6', 'enhance', 'postcss', 'minified', 'minifyWXSS', 'minifyWXML', 'newFeature', 'coverView',
  'nodeModules', 'autoAudits', 'showShadowRootInWxmlPanel', 'scopeDataCheck', 'uglifyFileName', 'checkInvalidKey',
  'checkSiteMap', 'uploadWithSourceMap', 'compileHotReLoad', 'useMultiFrameRuntime', 'useApiHook',
  'useApiHostProcess', 'babelSetting', 'useIsolateContext', 'userConfirmedBundleSwitch', 'packNpmManually',
  'packNpmRelationList', 'enableEngineNative', 'useCompilerPlugins', 'ignoreUploadUnusedFiles',
  'ignoreDevUnusedFiles', 'lazyloadPlaceholderEnable', 'disableUseStrict', 'compileWorklet', 'localPlugins',
  'condition', 'swc', 'disableSWC', 'minifyWXSSInFile',
]
const PRIVATE_INFOS = ['getFuzzyLocation', 'getLocation', 'onLocationChange', 'startLocationUpdate',
  'startLocationUpdateBackground', 'chooseLocation', 'choosePoi', 'chooseAddress']

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'))
}

function unknownKeys(object, allowed) {
  return Object.keys(object).filter(key => !allowed.includes(key))
}

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? sources(full) : [full]
  })
}

// Every component a page or component uses, resolved from its usingComponents, recursively.
function components(jsonFile, seen = new Set()) {
  const uses = readJson(jsonFile).usingComponents || {}
  Object.values(uses).forEach(target => {
    const base = target.startsWith('/') ? path.join(SRC, target) : path.join(path.dirname(jsonFile), target)
    if (!seen.has(base)) {
      seen.add(base)
      components(`${base}.json`, seen)
    }
  })
  return seen
}

test('project.config.json names only known keys and points at the source folder', () => {
  expect(unknownKeys(project, PROJECT_KEYS)).toEqual([])
  expect(unknownKeys(project.setting, PROJECT_SETTING_KEYS)).toEqual([])
  expect(project.compileType).toBe('miniprogram')
  expect(project.libVersion).toMatch(/^3\.\d+\.\d+$/)
  expect(fs.existsSync(path.join(SRC, 'app.json'))).toBe(true)
  expect(fs.existsSync(path.join(SRC, 'app.js'))).toBe(true)
})

test('app.json names only known keys', () => {
  expect(unknownKeys(app, APP_KEYS)).toEqual([])
  expect(unknownKeys(app.window, WINDOW_KEYS)).toEqual([])
  expect(unknownKeys(app.networkTimeout, NETWORK_TIMEOUT_KEYS)).toEqual([])
  expect(unknownKeys(app.tabBar, TABBAR_KEYS)).toEqual([])
  app.tabBar.list.forEach(item => expect(unknownKeys(item, TABBAR_ITEM_KEYS)).toEqual([]))
  expect(readJson(path.join(SRC, app.sitemapLocation)).rules.length).toBeGreaterThan(0)
})

test('every page listed in app.json exists with its four files and a valid page json', () => {
  expect(new Set(app.pages).size).toBe(app.pages.length)
  app.pages.forEach(page => {
    ['js', 'json', 'wxml', 'wxss'].forEach(ext => {
      expect([page, fs.existsSync(path.join(SRC, `${page}.${ext}`))]).toEqual([page, true])
    })
    const json = readJson(path.join(SRC, `${page}.json`))
    expect([page, unknownKeys(json, PAGE_KEYS)]).toEqual([page, []])
  })
})

test('every component used exists with its four files and declares itself a component', () => {
  const used = new Set()
  app.pages.forEach(page => components(path.join(SRC, `${page}.json`), used))
  expect(used.size).toBeGreaterThan(0)
  used.forEach(base => {
    ['js', 'json', 'wxml', 'wxss'].forEach(ext => expect([base, fs.existsSync(`${base}.${ext}`)]).toEqual([base, true]))
    const json = readJson(`${base}.json`)
    expect([base, json.component, unknownKeys(json, COMPONENT_KEYS)]).toEqual([base, true, []])
  })
})

test('the tab bar has two to five pages, each of them listed', () => {
  const list = app.tabBar.list
  expect(list.length).toBeGreaterThanOrEqual(2)
  expect(list.length).toBeLessThanOrEqual(5)
  list.forEach(item => expect(app.pages).toContain(item.pagePath))
})

test('the sign-in page is where the backend\'s mini-program code points', () => {
  expect(app.pages).toContain('pages/checkin/index')
})

test('location use is declared with a reason, and only what the code uses', () => {
  const code = sources(SRC).filter(file => file.endsWith('.js')).map(file => fs.readFileSync(file, 'utf8')).join('\n')
  const used = PRIVATE_INFOS.filter(name => new RegExp(`wx\\.${name}\\(`).test(code))
  expect(app.requiredPrivateInfos.sort()).toEqual(used.sort())
  expect(app.permission['scope.userLocation'].desc.length).toBeGreaterThan(0)
  expect(app.permission['scope.userLocation'].desc.length).toBeLessThanOrEqual(30)
})

test('no page or component calls wx.request, wx.uploadFile or wx.downloadFile itself', () => {
  const offenders = sources(SRC)
    .filter(file => file.endsWith('.js') && !file.endsWith(path.join('utils', 'request.js')))
    .filter(file => /wx\.(request|uploadFile|downloadFile)\s*\(/.test(fs.readFileSync(file, 'utf8')))
  expect(offenders).toEqual([])
})

test('the official WXML and WXSS compilers accept every file', () => {
  expect(() => compiler.wxmlToJs(SRC)).not.toThrow()
  expect(() => compiler.wxssToJs(SRC)).not.toThrow()
})
