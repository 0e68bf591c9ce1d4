// miniprogram-simulate injects the Component constructor and a partial `wx`; each test adds the rest.
require('miniprogram-simulate')
