// 填写问卷: single and multiple choice and short text; submitted once, anonymously.
const api = require('../../utils/api')

// The page's own view of each question: which options are chosen, and the short answer.
function present(question) {
  return Object.assign({}, question, {
    kindLabel: { single: '单选', multiple: '多选', text: '简答' }[question.kind],
    chosen: question.options.map(() => false),
    answer: '',
  })
}

Component({
  data: { id: null, state: 'loading', message: '', survey: null, questions: [], answered: false, refusal: '', busy: false },
  methods: {
    onLoad(options) {
      this.setData({ id: options.id })
      return this.load()
    },
    async load() {
      try {
        const survey = await api.survey(this.data.id)
        this.setData({ state: 'ready', survey, answered: survey.answered, questions: survey.questions.map(present) })
      } catch (error) {
        this.setData({ state: 'error', message: error.message })
      }
    },
    // One question changed; the list is set whole (a short list, and no data-path keys to get wrong).
    change(index, changes) {
      const questions = this.data.questions.map((question, i) => (i === index ? Object.assign({}, question, changes) : question))
      this.setData({ questions, refusal: '' })
    },
    onChoose(e) {
      const { index, option } = e.currentTarget.dataset
      const question = this.data.questions[index]
      const chosen = question.kind === 'single'
        ? question.options.map((_, i) => i === option)
        : question.chosen.map((value, i) => (i === option ? !value : value))
      this.change(index, { chosen })
    },
    onText(e) {
      this.change(e.currentTarget.dataset.index, { answer: e.detail.value })
    },
    // The first unanswered choice question, in Chinese; '' when every choice question has an answer.
    missing() {
      const unanswered = this.data.questions
        .map((question, index) => ({ question, number: index + 1 }))
        .filter(({ question }) => question.kind !== 'text' && !question.chosen.some(Boolean))
        .map(({ number }) => number)
      return unanswered.length ? `第 ${unanswered.join('、')} 题还没有回答` : ''
    },
    async onSubmit() {
      if (this.data.busy || this.data.answered) return
      const missing = this.missing()
      if (missing) {
        this.setData({ refusal: missing })
        return
      }
      const answers = this.data.questions.map(question => (question.kind === 'text'
        ? { question_id: question.id, text: question.answer.trim() || null }
        : { question_id: question.id, choices: question.chosen.map((value, i) => (value ? i : -1)).filter(i => i >= 0) }))
      this.setData({ busy: true, refusal: '' })
      try {
        await api.answerSurvey(this.data.id, answers)
        wx.showToast({ title: '提交成功，谢谢参与', icon: 'success' })
        this.setData({ answered: true })
      } catch (error) {
        if (error.code === 'survey_already_answered') this.setData({ answered: true })
        this.setData({ refusal: error.message })
      }
      this.setData({ busy: false })
    },
  },
})
