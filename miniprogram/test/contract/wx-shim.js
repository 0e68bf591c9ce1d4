// A `wx` for node: wx.request, wx.uploadFile and wx.downloadFile over real HTTP (node's fetch), wx.login
// with the WeChat sandbox's `test:<openid>` codes, storage in memory, and the UI calls recorded.
const fs = require('fs')
const os = require('os')
const path = require('path')

// wx treats header names case-insensitively; fetch would join two spellings of one name into one value.
function lowerCased(header) {
  return Object.fromEntries(Object.entries(header || {}).map(([name, value]) => [name.toLowerCase(), value]))
}

function createWx({ openid, photo }) {
  const storage = new Map()
  const calls = []
  const record = (name, options) => calls.push({ name, options })
  const done = (options, result) => setImmediate(() => options.success && options.success(result))
  const failed = (options, err) => setImmediate(() => options.fail && options.fail({ errMsg: String(err) }))

  async function send(url, init) {
    const response = await fetch(url, init)
    return { response, text: await response.text() }
  }

  const wx = {
    calls,
    request(options) {
      const method = options.method || 'GET'
      // Like wx.request: JSON unless the caller names another content type.
      const headers = Object.assign({ 'content-type': 'application/json' }, lowerCased(options.header))
      const init = { method, headers }
      if (options.data !== undefined && method !== 'GET') init.body = JSON.stringify(options.data)
      send(options.url, init).then(({ response, text }) => {
        let data = text
        try { data = JSON.parse(text) } catch (err) { /* wx.request leaves a non-JSON body as text */ }
        done(options, { statusCode: response.status, data, header: Object.fromEntries(response.headers) })
      }, err => failed(options, err))
    },
    uploadFile(options) {
      const form = new FormData()
      Object.entries(options.formData || {}).forEach(([key, value]) => form.append(key, value))
      const bytes = fs.readFileSync(options.filePath)
      form.append(options.name, new Blob([bytes], { type: 'image/jpeg' }), path.basename(options.filePath))
      send(options.url, { method: 'POST', headers: Object.assign({}, options.header), body: form })
        .then(({ response, text }) => done(options, { statusCode: response.status, data: text }), err => failed(options, err))
    },
    downloadFile(options) {
      fetch(options.url, { headers: Object.assign({}, options.header) }).then(async response => {
        const file = path.join(os.tmpdir(), `wx-download-${process.pid}-${calls.length}`)
        fs.writeFileSync(file, Buffer.from(await response.arrayBuffer()))
        done(options, { statusCode: response.status, tempFilePath: file })
      }, err => failed(options, err))
    },
    login(options) {
      record('login', {})
      done(options, { code: `test:${openid}`, errMsg: 'login:ok' })
    },
    getStorageSync: key => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => { storage.set(key, value) },
    removeStorageSync: key => { storage.delete(key) },
    chooseMedia(options) {
      record('chooseMedia', options)
      done(options, { tempFiles: [{ tempFilePath: photo, size: fs.statSync(photo).size, fileType: 'image' }] })
    },
    compressImage(options) {
      record('compressImage', options)
      done(options, { tempFilePath: options.src })
    },
    getLocation(options) {
      record('getLocation', options)
      failed(options, 'getLocation:fail no location in the contract test')
    },
    showModal(options) {
      record('showModal', options)
      done(options, { confirm: true, cancel: false })
    },
  };
  ['showToast', 'reLaunch', 'switchTab', 'navigateTo', 'redirectTo', 'stopPullDownRefresh', 'openSetting', 'previewImage']
    .forEach(name => { wx[name] = options => record(name, options) })
  return wx
}

module.exports = { createWx }
