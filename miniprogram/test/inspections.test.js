// 问卷调查 and 我的整改: lists, answering a survey once (choices, short text, refusals in Chinese),
// and reporting a rectification done with a photo.
jest.mock('../src/utils/api')
jest.mock('../src/utils/request')
jest.mock('../src/utils/media')

const api = require('../src/utils/api')
const media = require('../src/utils/media')
const { render, flush, text, query, pending, resetWx, apiError } = require('./helpers')

const QUESTIONS = [
  { id: 11, position: 1, kind: 'single', text: '您是否知道本单位正在开展文明单位创建工作？', options: ['知道', '不知道'] },
  { id: 12, position: 2, kind: 'multiple', text: '您参加过哪些活动？', options: ['道德讲堂', '志愿服务', '文明餐桌'] },
  { id: 13, position: 3, kind: 'text', text: '您有什么建议？', options: [] },
]
const SURVEY = { id: 5, title: '2026年下半年创建工作检查问卷调查', is_open: true, answered: false, question_count: 3, questions: QUESTIONS }

beforeEach(() => {
  resetWx()
})

describe('问卷列表', () => {
  const PAGE = 'pages/surveys/index'

  test('loading, empty, list with the answered state, and error', async () => {
    api.surveys.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')

    api.surveys.mockResolvedValue({ items: [] })
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('暂无进行中的问卷')

    api.surveys.mockResolvedValue({ items: [SURVEY, Object.assign({}, SURVEY, { id: 6, title: '上半年问卷', answered: true })] })
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('2026年下半年创建工作检查问卷调查')
    expect(text(comp)).toContain('待填写')
    expect(text(comp)).toContain('已填写')
    expect(text(comp)).toContain('共 3 题')
    query(comp, '.survey').dispatchEvent('tap')
    await flush()
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/surveys/detail?id=5' })

    api.surveys.mockRejectedValue(apiError('网络连接失败，请检查网络后重试', 'network_error', 0))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('网络连接失败')
  })
})

describe('填写问卷', () => {
  const PAGE = 'pages/surveys/detail'

  async function open(survey = SURVEY) {
    api.survey.mockResolvedValue(JSON.parse(JSON.stringify(survey)))
    const comp = render(PAGE)
    await comp.instance.onLoad({ id: '5' })
    await flush()
    return comp
  }

  // The options of all questions in page order: question 1's two, then question 2's three.
  function tapOption(comp, question, option) {
    const offset = QUESTIONS.slice(0, question).reduce((sum, q) => sum + q.options.length, 0)
    comp.querySelectorAll('.option')[offset + option].dispatchEvent('tap')
  }

  test('a person answers single and multiple choice and short text, once', async () => {
    const comp = await open()
    expect(text(comp)).toContain('匿名填写')
    expect(text(comp)).toContain('1. 您是否知道本单位正在开展文明单位创建工作？')
    tapOption(comp, 0, 1)
    tapOption(comp, 0, 0) // single: the second tap replaces the first
    tapOption(comp, 1, 0)
    tapOption(comp, 1, 2)
    tapOption(comp, 1, 0) // multiple: a second tap takes it back
    await flush()
    comp.instance.onText({ currentTarget: { dataset: { index: 2 } }, detail: { value: ' 多组织志愿活动 ' } })
    api.answerSurvey.mockResolvedValue({ survey_id: 5, answered: true })
    query(comp, '.submit').dispatchEvent('tap')
    await flush()
    expect(api.answerSurvey).toHaveBeenCalledWith('5', [
      { question_id: 11, choices: [0] },
      { question_id: 12, choices: [2] },
      { question_id: 13, text: '多组织志愿活动' },
    ])
    expect(wx.showToast).toHaveBeenCalledWith({ title: '提交成功，谢谢参与', icon: 'success' })
    expect(text(comp)).toContain('您已填写这份问卷')
    expect(query(comp, '.submit')).toBeFalsy()
  })

  test('unanswered choice questions are named in Chinese before anything is sent', async () => {
    const comp = await open()
    tapOption(comp, 0, 0)
    await flush()
    query(comp, '.submit').dispatchEvent('tap')
    await flush()
    expect(api.answerSurvey).not.toHaveBeenCalled()
    expect(query(comp, '.refusal').dom.textContent).toBe('第 2 题还没有回答')
  })

  test('a second answer shows the backend refusal and the answered state', async () => {
    const comp = await open()
    tapOption(comp, 0, 0)
    tapOption(comp, 1, 1)
    await flush()
    api.answerSurvey.mockRejectedValue(apiError('您已经填写过这份问卷，每人只能填写一次', 'survey_already_answered', 409))
    await comp.instance.onSubmit()
    await flush()
    expect(text(comp)).toContain('您已经填写过这份问卷，每人只能填写一次')
    expect(text(comp)).toContain('您已填写这份问卷')
  })

  test('an answered or closed survey offers no form, and a missing one shows the error', async () => {
    let comp = await open(Object.assign({}, SURVEY, { answered: true }))
    expect(text(comp)).toContain('您已填写这份问卷')
    expect(query(comp, '.question')).toBeFalsy()
    comp = await open(Object.assign({}, SURVEY, { is_open: false }))
    expect(text(comp)).toContain('问卷已结束')
    api.survey.mockRejectedValue(apiError('问卷不存在', 'survey_not_found', 404))
    comp = render(PAGE)
    await comp.instance.onLoad({ id: '99' })
    await flush()
    expect(text(comp)).toContain('问卷不存在')
  })
})

describe('我的整改', () => {
  const PAGE = 'pages/rectifications/index'
  const ITEM = {
    id: 3, round_id: 1, item: 14, department: '财务科', responsible: '李明', requirement: '整理办公室物品摆放',
    deadline: '2099-12-20', status: 'pending', status_name: '待整改', evidence_note: '', photo_count: 0, photo_urls: [],
    returned_reason: '照片看不清桌面', submitted_at: null,
  }

  test('loading, empty and error', async () => {
    api.myRectifications.mockReturnValue(pending())
    let comp = render(PAGE)
    comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('加载中')
    api.myRectifications.mockResolvedValue({ items: [] })
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('您没有需要整改的事项')
    api.myRectifications.mockRejectedValue(apiError('服务暂时不可用（503），请稍后重试', 'server_error', 503))
    comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('服务暂时不可用（503）')
  })

  test('the responsible person sees a returned one and reports it done with a photo', async () => {
    api.myRectifications.mockResolvedValue({ items: [ITEM, Object.assign({}, ITEM, { id: 4, status: 'accepted', status_name: '已验收', returned_reason: null })] })
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    expect(text(comp)).toContain('整理办公室物品摆放')
    expect(text(comp)).toContain('已退回')
    expect(text(comp)).toContain('退回原因：照片看不清桌面')
    expect(text(comp)).toContain('已验收')
    expect(text(comp)).toContain('2099年12月20日 前完成')
    query(comp, '.open-form').dispatchEvent('tap')
    await flush()
    query(comp, '.submit').dispatchEvent('tap')
    await flush()
    expect(api.submitRectification).not.toHaveBeenCalled()
    expect(query(comp, '.refusal').dom.textContent).toBe('请拍摄或选择一张整改后的照片')
    media.choosePhoto.mockResolvedValue('/tmp/a.jpg')
    media.compress.mockResolvedValue('/tmp/a-small.jpg')
    await comp.instance.onPhoto()
    comp.instance.onNote({ detail: { value: '已重新整理' } })
    api.submitRectification.mockResolvedValue(Object.assign({}, ITEM, { status: 'done' }))
    await comp.instance.onSubmit()
    await flush()
    expect(api.submitRectification).toHaveBeenCalledWith(3, '/tmp/a-small.jpg', '已重新整理')
    expect(wx.showToast).toHaveBeenCalledWith({ title: '已提交，等待验收', icon: 'success' })
  })

  test('a refusal from the backend is shown in Chinese', async () => {
    api.myRectifications.mockResolvedValue({ items: [ITEM] })
    const comp = render(PAGE)
    await comp.instance.onShow()
    await flush()
    comp.instance.onOpen({ currentTarget: { dataset: { id: 3 } } })
    media.choosePhoto.mockResolvedValue('/tmp/a.jpg')
    media.compress.mockResolvedValue('/tmp/a.jpg')
    await comp.instance.onPhoto()
    api.submitRectification.mockRejectedValue(apiError('该整改要求当前为“已整改”，不能再提交', 'rectification_wrong_state', 409))
    await comp.instance.onSubmit()
    await flush()
    expect(text(comp)).toContain('该整改要求当前为“已整改”，不能再提交')
  })
})
