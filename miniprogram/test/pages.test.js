// Every page renders its states (loading, empty, list, error) and its handlers call the api module.
jest.mock('../src/utils/api')
jest.mock('../src/utils/request')

const api = require('../src/utils/api')
const request = require('../src/utils/request')
const { render, flush, text, query, pending, resetWx, apiError, page } = require('./helpers')

const EVENT = {
  id: 7, kind: '志愿服务', title: '社区清洁', location: '东门', status: 'published',
  starts_at: '2099-03-05T06:30:00+00:00', ends_at: '2099-03-05T08:00:00+00:00',
  checkin_opens_at: '2099-03-05T06:00:00+00:00', checkin_closes_at: '2099-03-05T07:00:00+00:00',
  registration_required: true, capacity: 10, registered_count: 3, checkout_required: true,
  radius_m: null, description: '带好手套',
}
const ME = { account_id: 1, bound: true, staff: { id: 1, name: '李明', employee_no: 'T1001', department: { id: 1, name: '办公室' } } }
const HOURS = { year: 2026, hours: 3.5, events: 2, all_time_hours: 10, all_time_events: 5 }
const WISH = {
  id: 4, title: '一个书包', story: '上学用', category: 'goods', category_label: '实物类', beneficiary: '王**',
  village: '那坡村', claim_deadline: '2099-12-20', status: 'open', status_label: '待认领', claimer: null, photos: [],
}

beforeEach(() => {
  resetWx()
})

describe('首页', () => {
  const PAGE = 'pages/index/index'

  function answers() {
    api.me.mockResolvedValue(ME)
    api.announcements.mockResolvedValue(page([{ id: 1, content: '周五大扫除', author_name: '王主任', created_at: '2026-11-30T02:00:00+00:00' }]))
    api.events.mockResolvedValue(page([EVENT]))
    api.todaysTip.mockResolvedValue({ theme: '文明餐桌', content: '光盘行动，从我做起' })
    api.volunteerHours.mockResolvedValue(HOURS)
  }

  test('staff sees loading until the answers arrive', async () => {
    api.me.mockReturnValue(pending())
    const comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')
  })

  test('staff sees announcements, upcoming events, the tip and this year\'s hours', async () => {
    answers()
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    const shown = text(comp)
    expect(shown).toContain('周五大扫除')
    expect(shown).toContain('社区清洁')
    expect(shown).toContain('光盘行动，从我做起')
    expect(shown).toContain('2026 年志愿时长 3.5 小时')
    expect(api.announcements).toHaveBeenCalledWith({ per_page: 3 })
    expect(api.events).toHaveBeenCalledWith(expect.objectContaining({
      date_from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), date_to: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    }))
    query(comp, '.event').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/events/detail?id=7' })
  })

  test('staff sees empty sections when there is nothing yet, and no tip when there is none', async () => {
    answers()
    api.announcements.mockResolvedValue(page([]))
    api.events.mockResolvedValue(page([]))
    api.todaysTip.mockRejectedValue(apiError('未找到', 'not_found', 404))
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('暂无公告')
    expect(text(comp)).toContain('近期没有活动')
    expect(query(comp, '.tip')).toBeFalsy()
  })

  test('staff sees the backend\'s message when loading fails', async () => {
    api.me.mockRejectedValue(apiError('服务暂时不可用（502），请稍后重试', 'server_error', 502))
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('服务暂时不可用（502）')
    expect(text(comp)).toContain('重试')
  })

  test('an unbound account is sent to the bind page', async () => {
    api.me.mockResolvedValue({ account_id: 1, bound: false, staff: null })
    const comp = render(PAGE)
    await comp.instance.onShow()
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/bind/index' })
    expect(api.announcements).not.toHaveBeenCalled()
  })

  test('someone who logged out logs in again with the button', async () => {
    api.me.mockRejectedValueOnce(apiError('您已退出登录，请点击“登录”', 'logged_out', 401))
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(query(comp, '.login')).toBeTruthy()
    answers()
    request.login.mockResolvedValue({ token: 't' })
    query(comp, '.login').dispatchEvent('tap')
    await flush()
    await flush()
    expect(request.login).toHaveBeenCalled()
    expect(text(comp)).toContain('周五大扫除')
  })
})

describe('绑定', () => {
  const PAGE = 'pages/bind/index'

  test('staff sees loading while the options are fetched', async () => {
    api.bindOptions.mockReturnValue(pending())
    const comp = render(PAGE)
    comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('加载中')
  })

  test('without phone binding only the name and 工号 form shows, and it binds', async () => {
    api.bindOptions.mockResolvedValue({ phone: false, name: 'open' })
    api.bindByName.mockResolvedValue(ME)
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(query(comp, '.phone-button')).toBeFalsy()
    query(comp, '.name').dispatchEvent('input', { detail: { value: ' 李明 ' } })
    await flush()
    query(comp, '.employee-no').dispatchEvent('input', { detail: { value: 'T1001' } })
    await flush()
    await comp.instance.onSubmitName()
    expect(api.bindByName).toHaveBeenCalledWith('李明', 'T1001')
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('someone who scanned before binding goes back to the scan once bound', async () => {
    api.bindOptions.mockResolvedValue({ phone: false, name: 'open' })
    api.bindByName.mockResolvedValue(ME)
    request.takeAfterBind.mockReturnValueOnce('/pages/checkin/index?q=https%3A%2F%2Fx%2Fqr%2Fcheckin%3Ft%3Dp.7.i.y')
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    comp.setData({ name: '李明', employeeNo: 'T1001' })
    await comp.instance.onSubmitName()
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/checkin/index?q=https%3A%2F%2Fx%2Fqr%2Fcheckin%3Ft%3Dp.7.i.y' })
  })

  test('the phone button binds with the code WeChat gives', async () => {
    api.bindOptions.mockResolvedValue({ phone: true, name: 'approval' })
    api.bindByPhone.mockResolvedValue(ME)
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(query(comp, '.phone-button')).toBeTruthy()
    expect(text(comp)).toContain('提交后需管理员审核')
    await comp.instance.onPhone({ detail: { code: 'phone-code-1' } })
    expect(api.bindByPhone).toHaveBeenCalledWith('phone-code-1')
    expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' })
  })

  test('a refused phone permission is explained and nothing is sent', async () => {
    api.bindOptions.mockResolvedValue({ phone: true, name: 'off' })
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(query(comp, '.name-form')).toBeFalsy()
    await comp.instance.onPhone({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })
    await flush()
    expect(api.bindByPhone).not.toHaveBeenCalled()
    expect(text(comp)).toContain('未获得手机号授权')
  })

  test('a name bind waiting for approval says so', async () => {
    api.bindOptions.mockResolvedValue({ phone: false, name: 'approval' })
    api.bindByName.mockResolvedValue({ status: 'pending', request_id: 3 })  // the backend's 202 answer
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    comp.setData({ name: '李明', employeeNo: 'T1001' })
    await comp.instance.onSubmitName()
    await flush()
    expect(text(comp)).toContain('等待管理员审核')
    expect(wx.reLaunch).not.toHaveBeenCalled()
  })

  test('the backend\'s refusal is shown plainly on the page', async () => {
    api.bindOptions.mockResolvedValue({ phone: false, name: 'open' })
    api.bindByName.mockRejectedValue(apiError('花名册中没有找到与之匹配的人员', 'roster_mismatch', 404))
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    comp.setData({ name: '李明', employeeNo: 'X' })
    await comp.instance.onSubmitName()
    await flush()
    expect(query(comp, '.bind-error').dom.textContent).toContain('花名册中没有找到与之匹配的人员')
  })

  test('empty fields are refused before anything is sent', async () => {
    api.bindOptions.mockResolvedValue({ phone: false, name: 'open' })
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await comp.instance.onSubmitName()
    await flush()
    expect(api.bindByName).not.toHaveBeenCalled()
    expect(text(comp)).toContain('请填写姓名和工号')
  })

  test('no way to bind in the app tells whom to ask', async () => {
    api.bindOptions.mockResolvedValue({ phone: false, name: 'off' })
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('请联系本单位创建办')
  })

  test('a failure to fetch the options is shown with a retry', async () => {
    api.bindOptions.mockRejectedValue(apiError('网络连接失败，请检查网络后重试', 'network_error', 0))
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('网络连接失败')
  })
})

describe('活动', () => {
  const PAGE = 'pages/events/index'

  test('staff sees loading, then the list', async () => {
    api.events.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('加载中')

    api.events.mockResolvedValue(page([EVENT, Object.assign({}, EVENT, { id: 8, title: '中秋晚会', status: 'cancelled' })]))
    comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('社区清洁')
    expect(text(comp)).toContain('需报名 3/10')
    expect(text(comp)).toContain('已取消')
    expect(api.events).toHaveBeenLastCalledWith({ kind: '', page: 1, per_page: 20 })
  })

  test('choosing a kind asks for that kind only', async () => {
    api.events.mockResolvedValue(page([EVENT]))
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    comp.querySelectorAll('.kind')[2].dispatchEvent('tap')
    await flush()
    await flush()
    expect(api.events).toHaveBeenLastCalledWith({ kind: '志愿服务', page: 1, per_page: 20 })
  })

  test('an empty kind says there are no events', async () => {
    api.events.mockResolvedValue(page([]))
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('暂无活动')
  })

  test('scrolling to the end fetches the next page', async () => {
    api.events.mockResolvedValueOnce(page([EVENT], { pages: 2, total: 21 }))
    api.events.mockResolvedValueOnce(page([Object.assign({}, EVENT, { id: 9, title: '植树' })], { page: 2, pages: 2, total: 21 }))
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await comp.instance.onReachBottom()
    await flush()
    expect(api.events).toHaveBeenLastCalledWith({ kind: '', page: 2, per_page: 20 })
    expect(text(comp)).toContain('植树')
  })

  test('an error shows the message', async () => {
    api.events.mockRejectedValue(apiError('请先绑定花名册（姓名和工号）后再使用此功能', 'not_bound', 403))
    const comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('请先绑定花名册')
  })
})

describe('活动详情', () => {
  const PAGE = 'pages/events/detail'
  const state = (me, extra = {}) => Object.assign({}, EVENT, extra, {
    me: Object.assign({ registered: false, checked_in_at: null, checked_out_at: null, credited_hours: null }, me),
  })

  test('staff registers for an open event', async () => {
    api.event.mockResolvedValueOnce(state({}))
    api.event.mockResolvedValueOnce(state({ registered: true }, { registered_count: 4 }))
    api.register.mockResolvedValue({ registered: true, registered_count: 4, capacity: 10 })
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '7' })
    await flush()
    expect(api.event).toHaveBeenCalledWith('7')
    expect(text(comp)).toContain('未报名')
    query(comp, '.register').dispatchEvent('tap')
    await flush()
    await flush()
    expect(api.register).toHaveBeenCalledWith('7')
    expect(text(comp)).toContain('已报名（4/10）')
    expect(query(comp, '.cancel')).toBeTruthy()
  })

  test('staff cancels a registration after confirming', async () => {
    api.event.mockResolvedValue(state({ registered: true }))
    api.unregister.mockResolvedValue({ registered: false })
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '7' })
    await comp.instance.onCancel()
    expect(wx.showModal).toHaveBeenCalled()
    expect(api.unregister).toHaveBeenCalledWith('7')
  })

  test('a full event offers no registration', async () => {
    api.event.mockResolvedValue(state({}, { registered_count: 10 }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '7' })
    await flush()
    expect(query(comp, '.register')).toBeFalsy()
    expect(text(comp)).toContain('名额已满')
  })

  test('staff sees their sign-in and sign-out with hours', async () => {
    api.event.mockResolvedValue(state({
      registered: true, checked_in_at: '2099-03-05T06:31:00+00:00', checked_out_at: '2099-03-05T08:01:00+00:00', credited_hours: 1.5,
    }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '7' })
    await flush()
    expect(text(comp)).toContain('已签到：3月5日 14:31')
    expect(text(comp)).toContain('志愿时长 1.5 小时')
    expect(query(comp, '.cancel')).toBeFalsy()
  })

  test('an unknown event shows the backend\'s message', async () => {
    api.event.mockRejectedValue(apiError('活动不存在', 'event_not_found', 404))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '99' })
    await flush()
    expect(text(comp)).toContain('活动不存在')
  })
})

describe('扫码签到', () => {
  const PAGE = 'pages/checkin/index'
  const RESULT = { status: 'checked_in', checked_in_at: '2099-03-05T06:31:00+00:00', event: { id: 7, title: '社区清洁' } }

  test('an ordinary-link code arrives in options.q and is decoded exactly once', async () => {
    api.checkIn.mockResolvedValue(RESULT)
    const address = 'https://wm.example.cn/qr/checkin?t=p.7.i.abc%2Bdef'
    const comp = render(PAGE)
    await comp.instance.onLoad({ q: encodeURIComponent(address) })
    await flush()
    const body = api.checkIn.mock.calls[0][0]
    expect(body.qr).toBe(address)
    expect(body.nonce).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
    expect(body.lat).toBeUndefined()
    expect(text(comp)).toContain('签到成功')
    expect(text(comp)).toContain('社区清洁')
  })

  test('a mini-program code arrives as options.scene', async () => {
    api.checkIn.mockResolvedValue(Object.assign({}, RESULT, { status: 'already_checked_in' }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ scene: encodeURIComponent('p.7.i.abcdef') })
    await flush()
    expect(api.checkIn.mock.calls[0][0].qr).toBe('p.7.i.abcdef')
    expect(text(comp)).toContain('已签到')
  })

  test('each scan sends a fresh nonce', async () => {
    api.checkIn.mockResolvedValue(RESULT)
    wx.scanCode.mockImplementation(options => options.success({ result: 'https://wm.example.cn/qr/checkin?t=p.7.i.x' }))
    const comp = render(PAGE)
    comp.instance.onLoad({})
    await comp.instance.onScan()
    await comp.instance.onScan()
    const [first, second] = api.checkIn.mock.calls.map(call => call[0])
    expect(first.qr).toBe('https://wm.example.cn/qr/checkin?t=p.7.i.x')
    expect(first.nonce).not.toBe(second.nonce)
  })

  test('a sign-out shows the hours credited', async () => {
    api.checkIn.mockResolvedValue({
      status: 'checked_out', checked_in_at: '2099-03-05T06:31:00+00:00', checked_out_at: '2099-03-05T08:01:00+00:00',
      duration_minutes: 90, hours: 1.5, event: { id: 7, title: '社区清洁' },
    })
    const comp = render(PAGE)
    await comp.instance.onLoad({ q: encodeURIComponent('https://x/qr/checkin?t=p.7.o.y') })
    await flush()
    expect(text(comp)).toContain('签退成功')
    expect(text(comp)).toContain('志愿时长：1.5 小时')
  })

  test('the location is asked for only when the event needs it, and the retry keeps the nonce', async () => {
    api.checkIn.mockRejectedValueOnce(apiError('该活动需要定位签到，请允许小程序获取位置后重试', 'location_required', 400))
    api.checkIn.mockResolvedValueOnce(RESULT)
    wx.getLocation.mockImplementation(options => options.success({ latitude: 22.8, longitude: 108.3 }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ q: encodeURIComponent('https://x/qr/checkin?t=p.7.i.y') })
    await flush()
    const [first, second] = api.checkIn.mock.calls.map(call => call[0])
    expect(first.lat).toBeUndefined()
    expect(wx.getLocation).toHaveBeenCalledWith(expect.objectContaining({ type: 'gcj02' }))
    expect(second).toEqual({ qr: first.qr, nonce: first.nonce, lat: 22.8, lng: 108.3 })
    expect(text(comp)).toContain('签到成功')
  })

  test('a refused location permission explains and offers the settings', async () => {
    api.checkIn.mockRejectedValue(apiError('该活动需要定位签到，请允许小程序获取位置后重试', 'location_required', 400))
    wx.getLocation.mockImplementation(options => options.fail({ errMsg: 'getLocation:fail auth deny' }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ q: encodeURIComponent('https://x/qr/checkin?t=p.7.i.y') })
    await flush()
    expect(api.checkIn).toHaveBeenCalledTimes(1)
    expect(text(comp)).toContain('请在设置中允许使用位置信息')
    query(comp, '.open-setting').dispatchEvent('tap')
    await flush()
    expect(wx.openSetting).toHaveBeenCalled()
  })

  test('a refusal shows the backend\'s reason', async () => {
    api.checkIn.mockRejectedValue(apiError('签到已截止', 'checkin_closed', 409))
    const comp = render(PAGE)
    await comp.instance.onLoad({ q: encodeURIComponent('https://x/qr/checkin?t=p.7.i.y') })
    await flush()
    expect(text(comp)).toContain('未能签到')
    expect(text(comp)).toContain('签到已截止')
  })

  test('opening the page without a code waits for a scan', async () => {
    const comp = render(PAGE)
    comp.instance.onLoad({})
    await flush()
    expect(api.checkIn).not.toHaveBeenCalled()
    expect(query(comp, '.scan')).toBeTruthy()
  })

  test('a mini-program code scanned in the app sends its scene', async () => {
    api.checkIn.mockResolvedValue(RESULT)
    wx.scanCode.mockImplementation(options => options.success({ result: '', path: 'pages/checkin/index?scene=p.7.i.abc' }))
    const comp = render(PAGE)
    await comp.instance.onScan()
    expect(api.checkIn.mock.calls[0][0].qr).toBe('p.7.i.abc')
  })
})

describe('微心愿', () => {
  const PAGE = 'pages/wishes/index'

  test('staff sees loading, then open wishes with the beneficiary masked', async () => {
    api.wishes.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')

    api.wishes.mockResolvedValue(page([WISH]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(api.wishes).toHaveBeenLastCalledWith({ status: 'open', page: 1 })
    expect(text(comp)).toContain('一个书包')
    expect(text(comp)).toContain('王**')
    query(comp, '.wish').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/wishes/detail?id=4' })
  })

  test('no wishes says so, and "全部" asks for every status', async () => {
    api.wishes.mockResolvedValue(page([]))
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('暂时没有心愿')
    comp.querySelectorAll('.filter')[1].dispatchEvent('tap')
    await flush()
    await flush()
    expect(api.wishes).toHaveBeenLastCalledWith({ status: '', page: 1 })
  })

  test('an error shows the message', async () => {
    api.wishes.mockRejectedValue(apiError('登录已过期，请重新登录', 'unauthorized', 401))
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('登录已过期')
  })
})

describe('心愿详情', () => {
  const PAGE = 'pages/wishes/detail'
  const CLAIMED = {
    wish: Object.assign({}, WISH, { status: 'claimed', status_label: '已认领', claimer: { name: '李明', department: '办公室' } }),
    private: {
      beneficiary_name: '王小明', household: '那坡村3组', contact: '13800000000', proofs: [],
      claim: { id: 1, claimed_at: '2026-12-01T02:00:00+00:00', due_at: '2026-12-15T15:59:00+00:00', ended_at: null, end_reason: null, state_label: '进行中' },
    },
  }

  test('staff claims an open wish and then sees the private details', async () => {
    api.wish.mockResolvedValue({ wish: WISH, private: null })
    api.claimWish.mockResolvedValue(CLAIMED)
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '4' })
    await flush()
    expect(text(comp)).toContain('受助人：王**')
    expect(text(comp)).not.toContain('王小明')
    query(comp, '.claim').dispatchEvent('tap')
    await flush()
    await flush()
    expect(api.claimWish).toHaveBeenCalledWith('4')
    expect(text(comp)).toContain('王小明')
    expect(query(comp, '.release')).toBeTruthy()
    expect(query(comp, '.submit-proof')).toBeTruthy()
  })

  test('the claimer gives the wish back after confirming', async () => {
    api.wish.mockResolvedValue(CLAIMED)
    api.releaseWish.mockResolvedValue({ wish: WISH, private: null })
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '4' })
    await comp.instance.onRelease()
    await flush()
    expect(api.releaseWish).toHaveBeenCalledWith('4')
    expect(query(comp, '.claim')).toBeTruthy()
  })

  test('the claimer uploads a compressed proof photo with a note', async () => {
    api.wish.mockResolvedValue(CLAIMED)
    api.submitProof.mockResolvedValue(Object.assign({}, CLAIMED, { wish: Object.assign({}, CLAIMED.wish, { status: 'fulfilled', status_label: '待确认' }) }))
    wx.chooseMedia.mockImplementation(options => options.success({ tempFiles: [{ tempFilePath: 'wxfile://big.jpg' }] }))
    wx.compressImage.mockImplementation(options => options.success({ tempFilePath: 'wxfile://small.jpg' }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '4' })
    await comp.instance.onChoosePhoto()
    expect(wx.chooseMedia).toHaveBeenCalledWith(expect.objectContaining({ mediaType: ['image'], sizeType: ['compressed'] }))
    expect(wx.compressImage).toHaveBeenCalledWith(expect.objectContaining({ src: 'wxfile://big.jpg' }))
    query(comp, '.note').dispatchEvent('input', { detail: { value: '已送到' } })
    await flush()
    await comp.instance.onSubmitProof()
    await flush()
    expect(api.submitProof).toHaveBeenCalledWith('4', 'wxfile://small.jpg', '已送到')
    expect(text(comp)).toContain('待确认')
    expect(query(comp, '.submit-proof')).toBeFalsy()
  })

  test('a proof without photo or note is not sent', async () => {
    api.wish.mockResolvedValue(CLAIMED)
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '4' })
    await comp.instance.onSubmitProof()
    expect(api.submitProof).not.toHaveBeenCalled()
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请选择照片并填写说明' }))
  })

  test('the wish\'s photos are fetched with the token', async () => {
    const withPhoto = { wish: Object.assign({}, WISH, { photos: [{ id: 2, url: '/api/mp/wishes/4/photos/2' }] }), private: null }
    api.wish.mockResolvedValue(withPhoto)
    api.photo.mockResolvedValue('wxfile://photo.jpg')
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '4' })
    await flush()
    expect(api.photo).toHaveBeenCalledWith('/api/mp/wishes/4/photos/2')
    expect(comp.data.photos).toEqual(['wxfile://photo.jpg'])
  })

  test('an error shows the message', async () => {
    api.wish.mockRejectedValue(apiError('心愿不存在', 'wish_not_found', 404))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '4' })
    await flush()
    expect(text(comp)).toContain('心愿不存在')
  })
})

describe('我认领的心愿', () => {
  const PAGE = 'pages/wishes/mine'

  test('loading, empty, list and error', async () => {
    api.myWishes.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')

    api.myWishes.mockResolvedValue(page([]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('您还没有认领过心愿')

    api.myWishes.mockResolvedValue(page([{ id: 1, claimed_at: '2026-12-01T02:00:00+00:00', due_at: '2026-12-15T15:59:00+00:00', ended_at: null, state_label: '进行中', wish: WISH }]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('一个书包')
    expect(text(comp)).toContain('进行中')
    query(comp, '.claim').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/wishes/detail?id=4' })

    api.myWishes.mockRejectedValue(apiError('网络连接失败，请检查网络后重试', 'network_error', 0))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('网络连接失败')
  })
})

describe('我的', () => {
  const PAGE = 'pages/me/index'

  test('staff sees the profile and hours, and logs out', async () => {
    api.me.mockResolvedValue(ME)
    api.volunteerHours.mockResolvedValue(HOURS)
    request.logout.mockResolvedValue()
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('李明')
    expect(text(comp)).toContain('工号 T1001 · 办公室')
    expect(text(comp)).toContain('2026 年：3.5 小时')
    expect(text(comp)).toContain('累计：10 小时')
    query(comp, '.my-checkins').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/me/checkins' })
    await comp.instance.onLogout()
    await flush()
    expect(request.logout).toHaveBeenCalled()
    expect(query(comp, '.login')).toBeTruthy()
  })

  test('loading and error', async () => {
    api.me.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')
    api.me.mockRejectedValue(apiError('服务暂时不可用（503），请稍后重试', 'server_error', 503))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('服务暂时不可用（503）')
  })
})

describe('我的签到记录', () => {
  const PAGE = 'pages/me/checkins'

  test('loading, empty, list and error', async () => {
    api.myCheckins.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('加载中')

    api.myCheckins.mockResolvedValue(page([]))
    comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('还没有签到记录')

    api.myCheckins.mockResolvedValue(page([
      { id: 2, direction: 'out', at: '2099-03-05T08:01:00+00:00', method: 'printed', credited_hours: 1.5, event: EVENT },
      { id: 1, direction: 'in', at: '2099-03-05T06:31:00+00:00', method: 'manual', credited_hours: null, event: EVENT },
    ]))
    comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(api.myCheckins).toHaveBeenLastCalledWith({ page: 1, per_page: 20 })
    expect(text(comp)).toContain('签退')
    expect(text(comp)).toContain('志愿时长 1.5 小时')
    expect(text(comp)).toContain('（补签）')

    api.myCheckins.mockRejectedValue(apiError('登录已过期', 'unauthorized', 401))
    comp = render(PAGE)
    await comp.instance.onLoad({})
    await flush()
    expect(text(comp)).toContain('登录已过期')
  })
})
