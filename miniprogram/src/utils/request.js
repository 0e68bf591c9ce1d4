// The one request wrapper: server address, bearer token, one re-login on 401, and error display.
// Pages call `request`, `upload` and `download` (or the named calls in api.js); never wx.request itself.
const config = require('../config')

const TOKEN_KEY = 'token'
const LOGGED_OUT_KEY = 'loggedOut'
const AFTER_BIND_KEY = 'afterBind'
const BIND_PAGE = '/pages/bind/index'
const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试'
const TOAST_MAX_CHARS = 14

class ApiError extends Error {
  constructor(status, code, message, data) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.data = data
  }
}

function url(path) {
  return config.baseUrl.replace(/\/+$/, '') + config.apiPrefix + path
}

function getToken() {
  return wx.getStorageSync(TOKEN_KEY) || ''
}

function setToken(token) {
  wx.setStorageSync(TOKEN_KEY, token)
}

function clearToken() {
  wx.removeStorageSync(TOKEN_KEY)
}

function parseBody(data) {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch (err) {
    return data
  }
}

function errorFrom(statusCode, data) {
  const body = parseBody(data)
  const error = body && typeof body === 'object' ? body.error : null
  if (error && error.message) {
    return new ApiError(statusCode, error.code || 'error', error.message, body)
  }
  return new ApiError(statusCode, 'server_error', `服务暂时不可用（${statusCode}），请稍后重试`, body)
}

// wx.* callback calls as promises that resolve to {statusCode, data} (or reject on a network failure).
function call(api, options) {
  return new Promise((resolve, reject) => {
    wx[api](Object.assign({}, options, {
      success: resolve,
      fail: err => reject(new ApiError(0, 'network_error', NETWORK_MESSAGE, err)),
    }))
  })
}

function authHeader(token) {
  return token ? { Authorization: `Bearer ${token}` } : {}
}

let pendingLogin = null

// wx.login, then exchange the code for our token. Concurrent callers share one login.
function login() {
  if (!pendingLogin) {
    pendingLogin = (async () => {
      const { code } = await new Promise((resolve, reject) => {
        wx.login({
          success: resolve,
          fail: err => reject(new ApiError(0, 'login_failed', '微信登录失败，请稍后重试', err)),
        })
      })
      const res = await call('request', {
        url: url('/login'), method: 'POST', data: { code }, header: { 'Content-Type': 'application/json' },
      })
      if (res.statusCode !== 200) throw errorFrom(res.statusCode, res.data)
      const body = parseBody(res.data)
      setToken(body.token)
      wx.removeStorageSync(LOGGED_OUT_KEY)
      return body
    })()
    pendingLogin.then(() => { pendingLogin = null }, () => { pendingLogin = null })
  }
  return pendingLogin
}

function currentPage() {
  const pages = typeof getCurrentPages === 'function' ? getCurrentPages() : []
  return pages[pages.length - 1] || null
}

// Someone who scanned a code before binding comes back to that page (with the same options) once bound.
// Option values are kept as WeChat gave them: a sign-in code's q is still URL-encoded, so the address stays
// well formed and the page decodes it once as before.
function rememberPageForAfterBind(page) {
  const options = page.options || {}
  const query = Object.keys(options).map(key => `${key}=${options[key]}`).join('&')
  wx.setStorageSync(AFTER_BIND_KEY, `/${page.route}${query ? `?${query}` : ''}`)
}

/** The page to return to after binding (and forget it), or '' for the home page. */
function takeAfterBind() {
  const next = wx.getStorageSync(AFTER_BIND_KEY) || ''
  wx.removeStorageSync(AFTER_BIND_KEY)
  return next
}

function show(error) {
  const message = error.message
  if (message.length <= TOAST_MAX_CHARS) {
    wx.showToast({ title: message, icon: 'none', duration: 2500 })
  } else {
    wx.showModal({ title: '提示', content: message, showCancel: false })
  }
}

// Shows the error (unless the caller asked to show it itself), sends an unbound account to the bind
// page, and rethrows so the page can set its own error state.
function fail(error, silent) {
  if (error.code === 'not_bound') {
    const page = currentPage()
    if (!page || `/${page.route}` !== BIND_PAGE) {
      if (page) rememberPageForAfterBind(page)
      wx.reLaunch({ url: BIND_PAGE })
    }
  } else if (!silent) {
    show(error)
  }
  throw error
}

async function ensureToken() {
  const token = getToken()
  if (token) return token
  if (wx.getStorageSync(LOGGED_OUT_KEY)) {
    throw new ApiError(401, 'logged_out', '您已退出登录，请点击“登录”')
  }
  await login()
  return getToken()
}

// Runs `send(token)`; on a 401 logs in again once and retries with the new token.
async function withSession(send, auth) {
  const token = auth ? await ensureToken() : ''
  let res = await send(token)
  if (res.statusCode === 401 && auth) {
    clearToken()
    await login()
    res = await send(getToken())
  }
  return res
}

/**
 * request('/events', { method, data, auth = true, silent = false }) -> the answer's JSON body.
 * Rejects with ApiError {status, code, message} carrying the backend's Chinese message.
 */
async function request(path, options = {}) {
  const { method = 'GET', data, auth = true, silent = false } = options
  try {
    const res = await withSession(token => call('request', {
      url: url(path),
      method,
      data,
      header: Object.assign({ 'Content-Type': 'application/json' }, authHeader(token)),
    }), auth)
    if (res.statusCode >= 200 && res.statusCode < 300) return parseBody(res.data)
    throw errorFrom(res.statusCode, res.data)
  } catch (error) {
    return fail(error instanceof ApiError ? error : new ApiError(0, 'client_error', NETWORK_MESSAGE, error), silent)
  }
}

/** upload('/wishes/3/proof', { filePath, name, formData }) -> the answer's JSON body (wx.uploadFile). */
async function upload(path, options) {
  const { filePath, name, formData = {}, silent = false } = options
  try {
    const res = await withSession(token => call('uploadFile', {
      url: url(path),
      filePath,
      name,
      formData,
      header: authHeader(token),
    }), true)
    if (res.statusCode >= 200 && res.statusCode < 300) return parseBody(res.data)
    throw errorFrom(res.statusCode, res.data)
  } catch (error) {
    return fail(error instanceof ApiError ? error : new ApiError(0, 'client_error', NETWORK_MESSAGE, error), silent)
  }
}

/** download('/wishes/3/photos/7') -> a temporary file path (photos need the bearer token). */
async function download(path, options = {}) {
  const { silent = true } = options
  try {
    const res = await withSession(token => call('downloadFile', { url: url(path), header: authHeader(token) }), true)
    if (res.statusCode === 200) return res.tempFilePath
    throw errorFrom(res.statusCode, '')
  } catch (error) {
    return fail(error instanceof ApiError ? error : new ApiError(0, 'client_error', NETWORK_MESSAGE, error), silent)
  }
}

/** Revoke the token on the server and forget it here; no automatic login until `login()` is called. */
async function logout() {
  const token = getToken()
  clearToken()
  wx.setStorageSync(LOGGED_OUT_KEY, true)
  if (!token) return
  try {
    // No re-login here: a token the server no longer knows is as good as revoked.
    await call('request', { url: url('/logout'), method: 'POST', header: authHeader(token) })
  } catch (error) {
    // offline: the token is forgotten on the phone and expires on the server
  }
}

module.exports = { ApiError, request, upload, download, login, logout, getToken, takeAfterBind, url }
