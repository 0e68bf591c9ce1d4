// The shared components on their own: the sign-in result and the page states.
const { render, flush, text, query, resetWx } = require('./helpers')

beforeEach(() => {
  resetWx()
})

describe('checkin-result', () => {
  const COMPONENT = 'components/checkin-result/index'
  const event = { id: 7, title: '道德讲堂' }

  test.each([
    ['checked_in', '签到成功'],
    ['already_checked_in', '已签到'],
    ['checked_out', '签退成功'],
    ['already_checked_out', '已签退'],
  ])('a %s answer reads %s', async (status, headline) => {
    const comp = render(COMPONENT, { result: { status, checked_in_at: '2026-12-01T06:31:00+00:00', event } })
    await flush()
    expect(query(comp, '.headline').dom.textContent).toBe(headline)
    expect(text(comp)).toContain('签到时间：12月1日 14:31')
  })

  test('a sign-out shows minutes present and hours credited', async () => {
    const comp = render(COMPONENT, {
      result: {
        status: 'checked_out', checked_in_at: '2026-12-01T06:31:00+00:00', checked_out_at: '2026-12-01T08:10:00+00:00',
        duration_minutes: 99, hours: 1.5, event,
      },
    })
    await flush()
    expect(text(comp)).toContain('在场：99 分钟')
    expect(text(comp)).toContain('志愿时长：1.5 小时')
  })

  test('a later sign-out says it replaced the earlier one and shows both times', async () => {
    const comp = render(COMPONENT, {
      result: {
        status: 'checkout_updated', checked_in_at: '2026-12-01T06:31:00+00:00', checked_out_at: '2026-12-01T08:10:00+00:00',
        previous_checked_out_at: '2026-12-01T06:33:00+00:00', duration_minutes: 99, hours: 1.5, event,
      },
    })
    await flush()
    expect(query(comp, '.headline').dom.textContent).toBe('签退时间已更新')
    expect(query(comp, '.headline').dom.className).toContain('ok')
    expect(text(comp)).toContain('（原签退时间 12月1日 14:33，以最后一次为准）')
    expect(text(comp)).toContain('志愿时长：1.5 小时')
  })

  test('a refusal shows the reason and asks to scan again', async () => {
    const comp = render(COMPONENT, { result: null, refusal: '您不在活动地点附近，无法签到' })
    const again = jest.fn()
    comp.addEventListener('again', again)
    await flush()
    expect(text(comp)).toContain('未能签到')
    expect(text(comp)).toContain('您不在活动地点附近，无法签到')
    query(comp, '.again').dispatchEvent('tap')
    await flush()
    expect(again).toHaveBeenCalled()
  })
})

describe('state-view', () => {
  const COMPONENT = 'components/state-view/index'

  test('loading, empty and error; retry is announced', async () => {
    expect(text(render(COMPONENT, { state: 'loading' }))).toBe('加载中…')
    expect(text(render(COMPONENT, { state: 'empty', emptyText: '暂无活动' }))).toBe('暂无活动')
    const comp = render(COMPONENT, { state: 'error', message: '网络连接失败' })
    const retry = jest.fn()
    comp.addEventListener('retry', retry)
    expect(text(comp)).toContain('网络连接失败')
    query(comp, '.retry').dispatchEvent('tap')
    await flush()
    expect(retry).toHaveBeenCalled()
  })
})
