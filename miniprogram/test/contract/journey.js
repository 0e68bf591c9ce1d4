// The used-by journey, driven through the mini-program's own request module and pages against the real
// backend and the WeChat sandbox: log in → bind → list events → register → sign in from the printed
// code's address (options.q) → sign in again (已签到) → claim a wish → upload a proof photo → my records →
// vote once in a 评选 → sign a 承诺书 → write and edit a 感悟 after a 道德讲堂 I signed in to → answer a
// survey once.
// Settings come from the environment (set by tests/test_miniprogram_contract.py); prints one JSON report.
const assert = require('assert/strict')
const path = require('path')
const { createWx } = require('./wx-shim')

const SRC = path.join(__dirname, '../../src')
const env = name => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

global.wx = createWx({ openid: env('MP_OPENID'), photo: env('MP_PHOTO') })
global.getCurrentPages = () => []
require(path.join(SRC, 'config')).baseUrl = env('MP_BASE_URL')
const request = require(path.join(SRC, 'utils/request'))
const api = require(path.join(SRC, 'utils/api'))

// A page built with Component(): run its methods against a minimal instance (data + setData).
function page(relative) {
  let definition = null
  global.Component = options => { definition = options }
  const file = require.resolve(path.join(SRC, relative))
  delete require.cache[file] // a second instance of a page registers its definition again
  require(file)
  const instance = Object.assign({ data: JSON.parse(JSON.stringify(definition.data || {})) }, definition.methods)
  instance.setData = function setData(changes) { Object.assign(this.data, changes) }
  return instance
}

async function main() {
  const report = {}
  const eventId = Number(env('MP_EVENT_ID'))
  const wishId = Number(env('MP_WISH_ID'))

  // Log in (wx.login → /login) and bind with name + 工号 on the bind page.
  const login = await request.login()
  assert.equal(login.bound, false)
  const bind = page('pages/bind/index')
  await bind.onLoad({})
  assert.equal(bind.data.state, 'ready')
  report.bind_options = { phone: bind.data.phone, name: bind.data.nameMode }
  bind.onNameInput({ detail: { value: env('MP_NAME') } })
  bind.onEmployeeNoInput({ detail: { value: env('MP_EMPLOYEE_NO') } })
  await bind.onSubmitName()
  assert.equal(bind.data.error, '', bind.data.error)
  assert.ok(wx.calls.some(call => call.name === 'reLaunch' && call.options.url === '/pages/index/index'), 'bound people go to the home page')
  const me = await api.me()
  assert.equal(me.bound, true)
  report.staff = me.staff.name

  // The home page loads everything it shows.
  const home = page('pages/index/index')
  await home.onShow()
  assert.equal(home.data.state, 'ready', home.data.message)
  report.home = { tip: !!home.data.tip, upcoming: home.data.events.map(event => event.id), hours: home.data.hours.hours }

  // List events, open the detail, register.
  const list = await api.events({ page: 1, per_page: 20 })
  assert.ok(list.items.some(event => event.id === eventId), 'the event is listed')
  const detail = page('pages/events/detail')
  await detail.onLoad({ id: String(eventId) })
  assert.equal(detail.data.canRegister, true)
  await detail.onRegister()
  assert.equal(detail.data.me.registered, true)
  report.registered_count = detail.data.event.registered_count

  // Sign in as WeChat opens the page from the printed code: the address arrives URL-encoded in options.q.
  const checkin = page('pages/checkin/index')
  await checkin.onLoad({ q: encodeURIComponent(env('MP_QR')) })
  assert.equal(checkin.data.state, 'done', checkin.data.refusal)
  report.first_scan = checkin.data.result.status
  const again = page('pages/checkin/index')
  await again.onLoad({ q: encodeURIComponent(env('MP_QR')) })
  assert.equal(again.data.state, 'done', again.data.refusal)
  report.second_scan = again.data.result.status

  // An expired token is replaced by one re-login, transparently.
  wx.setStorageSync('token', 'expired-token')
  const wishes = await api.wishes({ status: 'open' })
  assert.ok(wishes.items.some(wish => wish.id === wishId), 'the wish is listed')
  report.logins = wx.calls.filter(call => call.name === 'login').length

  // Claim the wish, choose a photo, write a note, upload the proof.
  const wish = page('pages/wishes/detail')
  await wish.onLoad({ id: String(wishId) })
  report.beneficiary_before_claim = wish.data.wish.beneficiary
  assert.equal(wish.data.mine, null)
  await wish.onClaim()
  assert.equal(wish.data.wish.status, 'claimed')
  report.beneficiary_after_claim = wish.data.mine.beneficiary_name
  await wish.onChoosePhoto()
  wish.onNoteInput({ detail: { value: '书包已送到孩子手中' } })
  await wish.onSubmitProof()
  report.wish_status = wish.data.wish.status

  // My records.
  const mine = page('pages/me/index')
  await mine.onShow()
  assert.equal(mine.data.state, 'ready', mine.data.message)
  const checkins = page('pages/me/checkins')
  await checkins.onLoad({})
  const claims = page('pages/wishes/mine')
  await claims.onShow()
  report.my_checkins = checkins.data.items.map(item => [item.event.id, item.direction])
  report.my_wishes = claims.data.items.map(item => [item.wish.id, item.wish.status])
  report.hours = mine.data.hours

  // 评选: find the selection in the list, open it, vote once for the entry.
  const selectionId = Number(env('MP_SELECTION_ID'))
  const entryId = Number(env('MP_ENTRY_ID'))
  const selectionList = page('pages/selections/index')
  await selectionList.onShow()
  assert.equal(selectionList.data.state, 'ready', selectionList.data.message)
  report.selection_phase = selectionList.data.items.filter(item => item.id === selectionId).map(item => item.phase_label)[0]
  const ballot = page('pages/selections/detail')
  await ballot.onLoad({ id: String(selectionId) })
  assert.equal(ballot.data.state, 'ready', ballot.data.message)
  const votesBefore = ballot.data.votesLeft
  await ballot.onVote({ currentTarget: { dataset: { id: entryId } } })
  report.vote = {
    before: votesBefore,
    after: ballot.data.votesLeft,
    voted: ballot.data.entries.filter(entry => entry.voted).map(entry => entry.id),
    counts_shown: ballot.data.entries.some(entry => entry.showVotes),
  }

  // 承诺书: open it from the list and sign it.
  const pledgeId = Number(env('MP_PLEDGE_ID'))
  const pledgeList = page('pages/pledges/index')
  await pledgeList.onShow()
  assert.ok(pledgeList.data.items.some(item => item.id === pledgeId), 'the pledge is listed')
  const pledge = page('pages/pledges/detail')
  await pledge.onLoad({ id: String(pledgeId) })
  assert.equal(pledge.data.signature, null)
  await pledge.onSign()
  report.pledge_signed_by = pledge.data.signature && pledge.data.signature.signed_name

  // 感悟: the 道德讲堂 I signed in to offers 写感悟; write one, then edit it.
  const lectureId = Number(env('MP_LECTURE_ID'))
  const lecture = page('pages/events/detail')
  await lecture.onLoad({ id: String(lectureId) })
  assert.equal(lecture.data.state, 'ready', lecture.data.message)
  report.can_reflect = lecture.data.canReflect
  const reflection = page('pages/events/reflection')
  await reflection.onLoad({ id: String(lectureId) })
  assert.equal(reflection.data.state, 'ready', reflection.data.message)
  report.reflection_before = reflection.data.reflection
  reflection.onInput({ detail: { value: '听了模范的故事，很受触动。' } })
  await reflection.onSubmit()
  assert.equal(reflection.data.refusal, '', reflection.data.refusal)
  const firstId = reflection.data.reflection.id
  reflection.onInput({ detail: { value: '听了模范的故事，要孝敬父母。' } })
  await reflection.onSubmit()
  assert.equal(reflection.data.refusal, '', reflection.data.refusal)
  const reread = page('pages/events/reflection')
  await reread.onLoad({ id: String(lectureId) })
  report.reflection = { same: reread.data.reflection.id === firstId, content: reread.data.content, count: reread.data.count }

  // 问卷调查: the open survey is listed, answered once on its page; a second answer is refused in Chinese.
  const surveyId = Number(env('MP_SURVEY_ID'))
  const surveyList = page('pages/surveys/index')
  await surveyList.onShow()
  assert.equal(surveyList.data.state, 'ready', surveyList.data.message)
  const listed = surveyList.data.items.find(item => item.id === surveyId)
  const survey = page('pages/surveys/detail')
  await survey.onLoad({ id: String(surveyId) })
  assert.equal(survey.data.state, 'ready', survey.data.message)
  survey.data.questions.forEach((question, index) => {
    if (question.kind !== 'text') survey.onChoose({ currentTarget: { dataset: { index, option: 0 } } })
    else survey.onText({ currentTarget: { dataset: { index } }, detail: { value: '多组织志愿活动' } })
  })
  await survey.onSubmit()
  assert.equal(survey.data.refusal, '', survey.data.refusal)
  const reopened = page('pages/surveys/detail')
  await reopened.onLoad({ id: String(surveyId) })
  let second = null
  try {
    await api.answerSurvey(surveyId, survey.data.questions.filter(question => question.kind !== 'text')
      .map(question => ({ question_id: question.id, choices: [0] })))
  } catch (error) {
    second = error.code
  }
  report.survey = { listed: listed && listed.label, answered: survey.data.answered, reopened: reopened.data.answered, second }
  report.errors_shown = wx.calls.filter(call => call.name === 'showModal' || (call.name === 'showToast' && call.options.icon === 'none'))
    .map(call => call.options.content || call.options.title)
  process.stdout.write(`${JSON.stringify(report)}\n`)
}

main().catch(error => {
  process.stderr.write(`${error.stack || error}\n${JSON.stringify(error.data || {})}\n`)
  process.exit(1)
})
