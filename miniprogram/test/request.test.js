// The request module against a scripted wx.request: server address, token, one re-login, errors.
const config = require('../src/config')
const { request, upload, download, logout, takeAfterBind, ApiError } = require('../src/utils/request')
const api = require('../src/utils/api')
const { resetWx } = require('./helpers')

let answers
let sent

// Scripted wx.request/uploadFile/downloadFile: each call takes the next answer ({statusCode, data} or 'fail').
function script(...list) {
  answers = list
}

function respond(options) {
  sent.push(options)
  const answer = answers.shift()
  if (answer === undefined) throw new Error(`unexpected request ${options.url}`)
  if (answer === 'fail') options.fail({ errMsg: 'request:fail timeout' })
  else options.success(answer)
}

const BASE = `${config.baseUrl}/api/mp`
const ok = data => ({ statusCode: 200, data })
const error = (statusCode, code, message) => ({ statusCode, data: { error: { code, message } } })

beforeEach(() => {
  resetWx()
  sent = []
  answers = []
  wx.request = jest.fn(respond)
  wx.uploadFile = jest.fn(respond)
  wx.downloadFile = jest.fn(respond)
  wx.login = jest.fn(options => options.success({ code: `wx-code-${wx.login.mock.calls.length}` }))
  global.getCurrentPages = () => [{ route: 'pages/index/index' }]
})

test('the first call logs in with wx.login, keeps the token and sends it', async () => {
  script(ok({ token: 'tok-1', bound: true }), ok({ items: [] }))
  const body = await request('/events?page=1')
  expect(body).toEqual({ items: [] })
  expect(sent[0]).toMatchObject({ url: `${BASE}/login`, method: 'POST', data: { code: 'wx-code-1' } })
  expect(sent[1]).toMatchObject({ url: `${BASE}/events?page=1`, method: 'GET' })
  expect(sent[1].header.Authorization).toBe('Bearer tok-1')
  expect(wx.setStorageSync).toHaveBeenCalledWith('token', 'tok-1')
})

test('a stored token is used without logging in', async () => {
  wx.setStorageSync('token', 'stored')
  script(ok({ bound: true }))
  await request('/me')
  expect(wx.login).not.toHaveBeenCalled()
  expect(sent[0].header.Authorization).toBe('Bearer stored')
})

test('a 401 logs in again once and retries the same request with the new token', async () => {
  wx.setStorageSync('token', 'expired')
  script(error(401, 'unauthorized', '登录已过期'), ok({ token: 'fresh' }), { statusCode: 201, data: { status: 'checked_in' } })
  const body = await request('/checkins', { method: 'POST', data: { qr: 'x', nonce: 'n1234567' } })
  expect(body.status).toBe('checked_in')
  expect(wx.login).toHaveBeenCalledTimes(1)
  expect(sent[2].data).toEqual(sent[0].data)
  expect(sent[2].header.Authorization).toBe('Bearer fresh')
})

test('a second 401 is not retried again and shows the backend\'s message', async () => {
  wx.setStorageSync('token', 'expired')
  script(error(401, 'unauthorized', '登录已过期'), ok({ token: 'fresh' }), error(401, 'unauthorized', '登录已过期'))
  await expect(request('/me')).rejects.toMatchObject({ status: 401, code: 'unauthorized', message: '登录已过期' })
  expect(wx.login).toHaveBeenCalledTimes(1)
  expect(sent).toHaveLength(3)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '登录已过期', icon: 'none' }))
})

test('concurrent first calls share one login', async () => {
  script(ok({ token: 't' }), ok({ a: 1 }), ok({ b: 2 }))
  await Promise.all([request('/a'), request('/b')])
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test('a long Chinese message is shown in a modal, a short one in a toast', async () => {
  wx.setStorageSync('token', 't')
  script(error(409, 'claim_limit_reached', '您同时进行中的认领已达上限（2 个），请先完成或放弃一个'))
  await expect(request('/wishes/1/claim', { method: 'POST' })).rejects.toBeInstanceOf(ApiError)
  expect(wx.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: '您同时进行中的认领已达上限（2 个），请先完成或放弃一个' }))
  expect(wx.showToast).not.toHaveBeenCalled()
})

test('silent calls leave the message to the page', async () => {
  wx.setStorageSync('token', 't')
  script(error(409, 'checkin_closed', '签到已截止'))
  await expect(request('/checkins', { method: 'POST', silent: true })).rejects.toMatchObject({ message: '签到已截止' })
  expect(wx.showToast).not.toHaveBeenCalled()
  expect(wx.showModal).not.toHaveBeenCalled()
})

test('an unbound account is sent to the bind page', async () => {
  wx.setStorageSync('token', 't')
  script(error(403, 'not_bound', '请先绑定花名册（姓名和工号）后再使用此功能'))
  await expect(request('/events')).rejects.toMatchObject({ code: 'not_bound' })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/bind/index' })
})

test('a scan refused for want of binding is remembered for after binding, exactly once', async () => {
  wx.setStorageSync('token', 't')
  global.getCurrentPages = () => [{ route: 'pages/checkin/index', options: { q: 'https%3A%2F%2Fx%2Fqr%2Fcheckin%3Ft%3Dp.7.i.y' } }]
  script(error(403, 'not_bound', '请先绑定花名册（姓名和工号）后再使用此功能'))
  await expect(request('/checkins', { method: 'POST', silent: true })).rejects.toMatchObject({ code: 'not_bound' })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/bind/index' })
  expect(takeAfterBind()).toBe('/pages/checkin/index?q=https%3A%2F%2Fx%2Fqr%2Fcheckin%3Ft%3Dp.7.i.y')
  expect(takeAfterBind()).toBe('')
})

test('a network failure and a non-JSON error page get Chinese messages', async () => {
  wx.setStorageSync('token', 't')
  script('fail', { statusCode: 502, data: '<html>Bad Gateway</html>' })
  await expect(request('/me')).rejects.toMatchObject({ code: 'network_error', message: '网络连接失败，请检查网络后重试' })
  await expect(request('/me')).rejects.toMatchObject({ status: 502, message: '服务暂时不可用（502），请稍后重试' })
})

test('uploads send the file with the token and parse the JSON answer', async () => {
  wx.setStorageSync('token', 't')
  script({ statusCode: 201, data: JSON.stringify({ wish: { id: 3, status: 'fulfilled' } }) })
  const body = await api.submitProof(3, 'wxfile://p.jpg', '已送达')
  expect(body.wish.status).toBe('fulfilled')
  expect(wx.uploadFile).toHaveBeenCalledWith(expect.objectContaining({
    url: `${BASE}/wishes/3/proof`, filePath: 'wxfile://p.jpg', name: 'photos', formData: { note: '已送达' },
    header: { Authorization: 'Bearer t' },
  }))
})

test('an upload refused with a 401 logs in again and uploads again', async () => {
  wx.setStorageSync('token', 'old')
  script(error(401, 'unauthorized', '登录已过期'), ok({ token: 'new' }), { statusCode: 201, data: '{"wish": {"id": 3}}' })
  await upload('/wishes/3/proof', { filePath: 'f', name: 'photos' })
  expect(wx.uploadFile).toHaveBeenCalledTimes(2)
  expect(wx.uploadFile.mock.calls[1][0].header.Authorization).toBe('Bearer new')
})

test('photos are downloaded with the token', async () => {
  wx.setStorageSync('token', 't')
  script({ statusCode: 200, tempFilePath: 'wxfile://tmp.jpg' })
  await expect(download('/wishes/3/photos/2')).resolves.toBe('wxfile://tmp.jpg')
  expect(sent[0]).toMatchObject({ url: `${BASE}/wishes/3/photos/2`, header: { Authorization: 'Bearer t' } })
})

test('after logging out no call logs in by itself', async () => {
  wx.setStorageSync('token', 't')
  script({ statusCode: 204, data: '' })
  await logout()
  expect(sent[0]).toMatchObject({ url: `${BASE}/logout`, method: 'POST' })
  await expect(request('/me', { silent: true })).rejects.toMatchObject({ code: 'logged_out' })
  expect(wx.login).not.toHaveBeenCalled()
})

test('logging out with a token the server no longer knows does not log in again', async () => {
  wx.setStorageSync('token', 'revoked')
  script(error(401, 'unauthorized', '登录已过期'))
  await logout()
  expect(sent).toHaveLength(1)
  expect(wx.login).not.toHaveBeenCalled()
  expect(wx.getStorageSync('token')).toBeFalsy()
})

test('bind options from a backend without phone binding mean name + 工号, open', async () => {
  wx.setStorageSync('token', 't')
  script(error(404, 'not_found', '未找到'), ok({ phone: true, name: 'approval' }))
  await expect(api.bindOptions()).resolves.toEqual({ phone: false, name: 'open' })
  await expect(api.bindOptions()).resolves.toEqual({ phone: true, name: 'approval' })
  expect(wx.showToast).not.toHaveBeenCalled()
})

test('query strings leave out empty values and encode the rest', () => {
  expect(api.query({ kind: '志愿服务', page: 2, status: '' })).toBe(`?kind=${encodeURIComponent('志愿服务')}&page=2`)
  expect(api.query({})).toBe('')
})

test('no reflection yet (404 reflection_not_found) reads as null; other refusals are thrown', async () => {
  wx.setStorageSync('token', 't')
  script(error(404, 'reflection_not_found', '还没有写感悟'), error(404, 'event_not_found', '活动不存在'))
  await expect(api.myReflection(9)).resolves.toBeNull()
  expect(sent[0].url).toBe(`${BASE}/events/9/reflections/mine`)
  await expect(api.myReflection(9)).rejects.toMatchObject({ code: 'event_not_found', message: '活动不存在' })
  expect(wx.showToast).not.toHaveBeenCalled()
})

test('a reflection, a vote, a signature and a work go to their endpoints', async () => {
  wx.setStorageSync('token', 't')
  script(
    { statusCode: 201, data: { id: 1, content: '深受教育' } },
    { statusCode: 201, data: { vote: { id: 1 }, votes_left: 2 } },
    { statusCode: 200, data: { pledge_id: 2, signed_name: '李明' } },
    { statusCode: 201, data: '{"id": 4, "status": "pending"}' },
  )
  await api.writeReflection(9, '深受教育')
  expect(sent[0]).toMatchObject({ url: `${BASE}/events/9/reflections`, method: 'POST', data: { content: '深受教育' } })
  await expect(api.vote(5, 11)).resolves.toMatchObject({ votes_left: 2 })
  expect(sent[1]).toMatchObject({ url: `${BASE}/selections/5/entries/11/vote`, method: 'POST' })
  await expect(api.signPledge(2)).resolves.toMatchObject({ signed_name: '李明' })
  expect(sent[2]).toMatchObject({ url: `${BASE}/pledges/2/sign`, method: 'POST' })
  await expect(api.submitWork(5, 'wxfile://w.jpg', '美丽乡村', '村口')).resolves.toMatchObject({ status: 'pending' })
  expect(wx.uploadFile).toHaveBeenCalledWith(expect.objectContaining({
    url: `${BASE}/selections/5/entries`, filePath: 'wxfile://w.jpg', name: 'photos', formData: { title: '美丽乡村', description: '村口' },
  }))
})
