// Loading, empty and error states of a page; the page's own content goes in the slot (state "ready").
Component({
  properties: {
    state: { type: String, value: 'loading' },
    message: { type: String, value: '' },
    emptyText: { type: String, value: '暂无内容' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})
