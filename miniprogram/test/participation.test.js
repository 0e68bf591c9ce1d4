// The 感悟, 评选 and 承诺 pages: their states, their handlers, and the backend's refusals shown plainly.
jest.mock('../src/utils/api')
jest.mock('../src/utils/request')

const api = require('../src/utils/api')
const { render, flush, text, query, pending, resetWx, apiError, page } = require('./helpers')

const LECTURE = {
  id: 9, kind: '道德讲堂', title: '孝老爱亲', location: '三楼会议室', status: 'published',
  starts_at: '2026-11-05T06:30:00+00:00', ends_at: '2026-11-05T08:00:00+00:00',
  checkin_opens_at: '2026-11-05T06:00:00+00:00', checkin_closes_at: '2026-11-05T07:00:00+00:00',
  registration_required: false, capacity: null, registered_count: 0, checkout_required: false,
  radius_m: null, description: '',
}
const REFLECTION = {
  id: 3, event_id: 9, content: '深受教育', status: 'passed', selected: false, locked: false,
  created_at: '2026-11-05T09:00:00+00:00', updated_at: '2026-11-05T09:00:00+00:00',
}
const SELECTION = {
  id: 5, title: '最美家庭', kind: 'honour', kind_label: '评选先进', description: '推选身边的好家庭',
  nominate_from: '2026-11-01T00:00:00+00:00', nominate_until: '2026-11-20T00:00:00+00:00',
  vote_from: '2026-11-25T00:00:00+00:00', vote_until: '2026-12-10T00:00:00+00:00',
  votes_per_voter: 3, phase: 'voting', phase_label: '投票', status: 'published',
}
const ENTRY = {
  id: 11, subject: 'family', subject_label: '家庭', title: '张家', description: '三代同堂', department: '办公室',
  status: 'approved', status_label: '已通过', review_reason: null, photos: [], votes: null,
}
const OTHER = Object.assign({}, ENTRY, { id: 12, title: '李家', description: '' })
const PLEDGE = {
  id: 2, title: '文明交通承诺书', body: '我承诺：礼让行人。', work_item: null, status: 'published', status_label: '已发布',
  opens_at: '2026-11-01T00:00:00+00:00', closes_at: '2099-12-31T00:00:00+00:00', is_open: true,
}
const SIGNATURE = { pledge_id: 2, signed_name: '李明', signed_at: '2026-12-01T02:00:00+00:00' }

function ballot(extra = {}, selection = {}) {
  return Object.assign({
    selection: Object.assign({}, SELECTION, selection), entries: [ENTRY, OTHER], my_votes: [], votes_left: 3, is_judge: false,
  }, extra)
}

beforeEach(() => {
  resetWx()
})

describe('活动详情的写感悟', () => {
  const PAGE = 'pages/events/detail'
  const lecture = (me, extra = {}) => Object.assign({}, LECTURE, extra, {
    me: Object.assign({ registered: false, checked_in_at: null, checked_out_at: null, credited_hours: null }, me),
  })

  test('staff signed in to a 道德讲堂 opens the reflection page', async () => {
    api.event.mockResolvedValue(lecture({ checked_in_at: '2026-11-05T06:31:00+00:00' }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await flush()
    query(comp, '.reflect').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/events/reflection?id=9' })
  })

  test('no entry before signing in, nor for other kinds of event', async () => {
    api.event.mockResolvedValue(lecture({}))
    let comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await flush()
    expect(query(comp, '.reflect')).toBeFalsy()
    api.event.mockResolvedValue(lecture({ checked_in_at: '2026-11-05T06:31:00+00:00' }, { kind: '志愿服务' }))
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await flush()
    expect(query(comp, '.reflect')).toBeFalsy()
  })
})

describe('活动感悟', () => {
  const PAGE = 'pages/events/reflection'

  test('staff sees loading, then writes a first reflection with a counter', async () => {
    api.myReflection.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onLoad({ id: '9' })
    await flush()
    expect(text(comp)).toContain('加载中')

    api.myReflection.mockResolvedValue(null)
    api.writeReflection.mockResolvedValue(REFLECTION)
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await flush()
    expect(api.myReflection).toHaveBeenCalledWith('9')
    expect(text(comp)).toContain('还没有写感悟')
    expect(text(comp)).toContain('0/1000')
    query(comp, '.content').dispatchEvent('input', { detail: { value: ' 深受教育 ' } })
    await flush()
    expect(text(comp)).toContain('6/1000')
    await comp.instance.onSubmit()
    await flush()
    expect(api.writeReflection).toHaveBeenCalledWith('9', '深受教育')
    expect(text(comp)).toContain('已保存于 11月5日 17:00')
    expect(text(comp)).toContain('保存修改')
  })

  test('staff edits the reflection they wrote', async () => {
    api.myReflection.mockResolvedValue(REFLECTION)
    api.writeReflection.mockResolvedValue(Object.assign({}, REFLECTION, { content: '深受教育，要孝敬父母' }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await flush()
    expect(comp.data.content).toBe('深受教育')
    expect(text(comp)).toContain('4/1000')
    query(comp, '.content').dispatchEvent('input', { detail: { value: '深受教育，要孝敬父母' } })
    await flush()
    await comp.instance.onSubmit()
    await flush()
    expect(api.writeReflection).toHaveBeenCalledWith('9', '深受教育，要孝敬父母')
    expect(comp.data.reflection.content).toBe('深受教育，要孝敬父母')
  })

  test('an empty or too long reflection is not sent', async () => {
    api.myReflection.mockResolvedValue(null)
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await comp.instance.onSubmit()
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请填写感悟' }))
    comp.instance.onInput({ detail: { value: '好'.repeat(1001) } })
    await comp.instance.onSubmit()
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '感悟最多 1000 字' }))
    expect(api.writeReflection).not.toHaveBeenCalled()
  })

  test('the backend\'s refusals are shown plainly, and a locked record stops editing', async () => {
    api.myReflection.mockResolvedValue(null)
    api.writeReflection.mockRejectedValueOnce(apiError('请先签到再写感悟', 'reflection_requires_checkin', 403))
    let comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    comp.instance.onInput({ detail: { value: '深受教育' } })
    await comp.instance.onSubmit()
    await flush()
    expect(query(comp, '.refusal').dom.textContent).toBe('请先签到再写感悟')
    expect(query(comp, '.submit')).toBeTruthy()

    api.myReflection.mockResolvedValue(REFLECTION)
    api.writeReflection.mockRejectedValueOnce(apiError('活动台账已锁定，不能修改', 'record_locked', 409))
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    comp.instance.onInput({ detail: { value: '再改一次' } })
    await comp.instance.onSubmit()
    await flush()
    expect(text(comp)).toContain('活动台账已锁定，不能修改')
    expect(query(comp, '.submit')).toBeFalsy()
  })

  test('a reflection of a locked record cannot be edited', async () => {
    api.myReflection.mockResolvedValue(Object.assign({}, REFLECTION, { locked: true, selected: true }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '9' })
    await flush()
    expect(text(comp)).toContain('已选入台账')
    expect(text(comp)).toContain('感悟不能再修改')
    expect(query(comp, '.submit')).toBeFalsy()
  })

  test('an error loading shows the message', async () => {
    api.myReflection.mockRejectedValue(apiError('活动不存在', 'event_not_found', 404))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '99' })
    await flush()
    expect(text(comp)).toContain('活动不存在')
  })
})

describe('评选', () => {
  const PAGE = 'pages/selections/index'

  test('loading, empty, list with phase labels, and error', async () => {
    api.selections.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')

    api.selections.mockResolvedValue(page([]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('暂无评选活动')

    api.selections.mockResolvedValue(page([SELECTION]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('最美家庭')
    expect(text(comp)).toContain('投票')
    expect(text(comp)).toContain('投票时间：11月25日 08:00 至 12月10日 08:00')
    query(comp, '.selection').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/selections/detail?id=5' })

    api.selections.mockRejectedValue(apiError('网络连接失败，请检查网络后重试', 'network_error', 0))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('网络连接失败')
  })
})

describe('评选详情', () => {
  const PAGE = 'pages/selections/detail'

  test('staff votes once during 投票 and sees the votes left', async () => {
    api.selection.mockResolvedValue(ballot())
    api.vote.mockResolvedValue({ vote: { id: 1, entry_id: 11, slot: 1, cast_at: '2026-12-01T02:00:00+00:00' }, votes_left: 2 })
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(api.selection).toHaveBeenCalledWith('5')
    expect(text(comp)).toContain('您还可以投 3 票')
    expect(text(comp)).not.toContain('票数')
    expect(comp.querySelectorAll('.vote').length).toBe(2)
    query(comp, '.vote').dispatchEvent('tap')
    await flush()
    expect(api.vote).toHaveBeenCalledWith('5', 11)
    expect(text(comp)).toContain('您还可以投 2 票')
    expect(text(comp)).toContain('已投票')
    expect(comp.querySelectorAll('.vote').length).toBe(1)
    expect(api.selectionResults).not.toHaveBeenCalled()
  })

  test('already-voted entries are marked, and no buttons once the votes are used', async () => {
    api.selection.mockResolvedValue(ballot({ my_votes: [11], votes_left: 0 }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(comp.querySelectorAll('.voted').length).toBe(1)
    expect(query(comp, '.vote')).toBeFalsy()
  })

  test('a refused vote leaves the ballot as it was', async () => {
    api.selection.mockResolvedValue(ballot())
    api.vote.mockRejectedValue(apiError('不能给本部门投票', 'own_department', 403))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    await comp.instance.onVote({ currentTarget: { dataset: { id: 11 } } })
    await flush()
    expect(comp.data.votesLeft).toBe(3)
    expect(query(comp, '.voted')).toBeFalsy()
  })

  test('no vote buttons outside the 投票 phase; counts only when the API gives them', async () => {
    api.selection.mockResolvedValue(ballot({ entries: [Object.assign({}, ENTRY, { votes: 7 })] }, { phase: 'counting', phase_label: '计票' }))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(query(comp, '.vote')).toBeFalsy()
    expect(query(comp, '.count').dom.textContent).toBe('7 票')
  })

  test('published results are fetched and ranked', async () => {
    api.selection.mockResolvedValue(ballot({}, { phase: 'publicity', phase_label: '公示' }))
    api.selectionResults.mockResolvedValue({ items: [
      { entry: ENTRY, rank: 1, tied: true, votes: 9, jury_score: null, score: 9 },
      { entry: OTHER, rank: 1, tied: true, votes: 9, jury_score: null, score: 9 },
    ] })
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(api.selectionResults).toHaveBeenCalledWith('5')
    expect(text(comp)).toContain('评选结果')
    expect(comp.querySelectorAll('.result').length).toBe(2)
    expect(query(comp, '.result').dom.textContent).toBe('第 1 名（并列）张家9 票')
  })

  test('entry photos are fetched with the token', async () => {
    const withPhoto = Object.assign({}, ENTRY, { photos: [{ id: 4, url: '/api/mp/selections/photos/4' }] })
    api.selection.mockResolvedValue(ballot({ entries: [withPhoto] }))
    api.photo.mockResolvedValue('wxfile://entry.jpg')
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(api.photo).toHaveBeenCalledWith('/api/mp/selections/photos/4')
    expect(comp.data.entries[0].photoPaths).toEqual(['wxfile://entry.jpg'])
    expect(query(comp, '.photo')).toBeTruthy()
  })

  test('tapping a photo of the second entry previews that entry\'s photos', async () => {
    const first = Object.assign({}, ENTRY, { photos: [{ id: 4, url: '/api/mp/selections/photos/4' }] })
    const second = Object.assign({}, OTHER, { photos: [
      { id: 5, url: '/api/mp/selections/photos/5' }, { id: 6, url: '/api/mp/selections/photos/6' },
    ] })
    api.selection.mockResolvedValue(ballot({ entries: [first, second] }))
    api.photo.mockImplementation(url => Promise.resolve(`wxfile://${url.split('/').pop()}.jpg`))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    const photos = comp.querySelectorAll('.photo')
    expect(photos.length).toBe(3)
    photos[1].dispatchEvent('tap')
    await flush()
    expect(wx.previewImage).toHaveBeenCalledWith({ current: 'wxfile://5.jpg', urls: ['wxfile://5.jpg', 'wxfile://6.jpg'] })
  })

  test('a 作品征集 taking works offers the submit page; others do not', async () => {
    api.selection.mockResolvedValue(ballot({ entries: [] }, { kind: 'works', kind_label: '作品征集', phase: 'nominating', phase_label: '报名/推荐' }))
    let comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(text(comp)).toContain('暂无通过审核的参评对象')
    query(comp, '.submit-work').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/selections/submit?id=5' })

    api.selection.mockResolvedValue(ballot({}, { phase: 'nominating', phase_label: '报名/推荐' }))
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(query(comp, '.submit-work')).toBeFalsy()
  })

  test('loading and error', async () => {
    api.selection.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onLoad({ id: '5' })
    await flush()
    expect(text(comp)).toContain('加载中')
    api.selection.mockRejectedValue(apiError('评选不存在', 'selection_not_found', 404))
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    expect(text(comp)).toContain('评选不存在')
  })
})

describe('投稿作品', () => {
  const PAGE = 'pages/selections/submit'

  test('staff submits a title, a description and one compressed photo', async () => {
    api.submitWork.mockResolvedValue(Object.assign({}, ENTRY, { subject: 'work', title: '美丽乡村', status: 'pending', status_label: '待审核' }))
    wx.chooseMedia.mockImplementation(options => options.success({ tempFiles: [{ tempFilePath: 'wxfile://big.jpg' }] }))
    wx.compressImage.mockImplementation(options => options.success({ tempFilePath: 'wxfile://small.jpg' }))
    const comp = render(PAGE)
    comp.instance.onLoad({ id: '5' })
    await comp.instance.onChoosePhoto()
    expect(wx.chooseMedia).toHaveBeenCalledWith(expect.objectContaining({ count: 1, mediaType: ['image'] }))
    expect(wx.compressImage).toHaveBeenCalledWith(expect.objectContaining({ src: 'wxfile://big.jpg' }))
    query(comp, '.title-input').dispatchEvent('input', { detail: { value: '美丽乡村' } })
    query(comp, '.description').dispatchEvent('input', { detail: { value: '村口新貌' } })
    await flush()
    await comp.instance.onSubmit()
    await flush()
    expect(api.submitWork).toHaveBeenCalledWith('5', 'wxfile://small.jpg', '美丽乡村', '村口新貌')
    expect(text(comp)).toContain('作品已提交，待审核')
    query(comp, '.back').dispatchEvent('tap')
    await flush()
    expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/selections/detail?id=5' })
  })

  test('a work without title or photo is not sent', async () => {
    const comp = render(PAGE)
    comp.instance.onLoad({ id: '5' })
    await comp.instance.onSubmit()
    expect(api.submitWork).not.toHaveBeenCalled()
    expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '请填写标题并选择照片' }))
  })

  test('the backend\'s refusal is shown plainly', async () => {
    api.submitWork.mockRejectedValue(apiError('当前不在投稿阶段', 'wrong_phase', 409))
    wx.chooseMedia.mockImplementation(options => options.success({ tempFiles: [{ tempFilePath: 'wxfile://big.jpg' }] }))
    wx.compressImage.mockImplementation(options => options.fail())
    const comp = render(PAGE)
    comp.instance.onLoad({ id: '5' })
    await comp.instance.onChoosePhoto()
    comp.instance.onTitleInput({ detail: { value: '美丽乡村' } })
    await comp.instance.onSubmit()
    await flush()
    expect(api.submitWork).toHaveBeenCalledWith('5', 'wxfile://big.jpg', '美丽乡村', '')
    expect(query(comp, '.refusal').dom.textContent).toBe('当前不在投稿阶段')
  })
})

describe('承诺书', () => {
  const PAGE = 'pages/pledges/index'

  test('loading, empty, list and error', async () => {
    api.pledges.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')

    api.pledges.mockResolvedValue(page([]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('暂无承诺书')

    api.pledges.mockResolvedValue(page([PLEDGE, Object.assign({}, PLEDGE, { id: 3, title: '节约承诺', is_open: false })]))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('文明交通承诺书签署中')
    expect(text(comp)).toContain('节约承诺不在签署期')
    query(comp, '.pledge').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/pledges/detail?id=2' })

    api.pledges.mockRejectedValue(apiError('登录已过期', 'unauthorized', 401))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('登录已过期')
  })
})

describe('承诺书全文', () => {
  const PAGE = 'pages/pledges/detail'

  test('staff reads the full text and signs', async () => {
    api.pledge.mockResolvedValue({ pledge: PLEDGE, my_signature: null })
    api.signPledge.mockResolvedValue(SIGNATURE)
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '2' })
    await flush()
    expect(api.pledge).toHaveBeenCalledWith('2')
    expect(text(comp)).toContain('我承诺：礼让行人。')
    query(comp, '.sign').dispatchEvent('tap')
    await flush()
    expect(api.signPledge).toHaveBeenCalledWith('2')
    expect(text(comp)).toContain('已签署：李明，12月1日 10:00')
    expect(query(comp, '.sign')).toBeFalsy()
  })

  test('a signed pledge shows my signature; a closed one offers no button', async () => {
    api.pledge.mockResolvedValue({ pledge: PLEDGE, my_signature: SIGNATURE })
    let comp = render(PAGE)
    await comp.instance.onLoad({ id: '2' })
    await flush()
    expect(text(comp)).toContain('已签署：李明')
    expect(query(comp, '.sign')).toBeFalsy()

    api.pledge.mockResolvedValue({ pledge: Object.assign({}, PLEDGE, { is_open: false }), my_signature: null })
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '2' })
    await flush()
    expect(text(comp)).toContain('不在签署期')
    expect(query(comp, '.sign')).toBeFalsy()
  })

  test('a refused signature keeps the button', async () => {
    api.pledge.mockResolvedValue({ pledge: PLEDGE, my_signature: null })
    api.signPledge.mockRejectedValue(apiError('不在签署期', 'pledge_not_open', 409))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '2' })
    await comp.instance.onSign()
    await flush()
    expect(query(comp, '.sign')).toBeTruthy()
  })

  test('loading and error', async () => {
    api.pledge.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onLoad({ id: '2' })
    await flush()
    expect(text(comp)).toContain('加载中')
    api.pledge.mockRejectedValue(apiError('承诺书不存在', 'pledge_not_found', 404))
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '2' })
    await flush()
    expect(text(comp)).toContain('承诺书不存在')
  })
})

describe('我的 and 首页 entries', () => {
  beforeEach(() => {
    api.me.mockResolvedValue({ account_id: 1, bound: true, staff: { id: 1, name: '李明', employee_no: 'T1001', department: { id: 1, name: '办公室' } } })
    api.volunteerHours.mockResolvedValue({ year: 2026, hours: 0, events: 0, all_time_hours: 0, all_time_events: 0 })
    api.announcements.mockResolvedValue(page([]))
    api.events.mockResolvedValue(page([]))
    api.todaysTip.mockResolvedValue(null)
  })

  test.each(['pages/me/index', 'pages/index/index'])('%s links to 评选 and 承诺书', async PAGE => {
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    query(comp, '.selections').dispatchEvent('tap')
    query(comp, '.pledges').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/selections/index' })
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/pledges/index' })
  })
})
