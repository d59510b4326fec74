store = {}
store['losses']=[1.0]
store['losses'].append(nan)
store['losses'].append(inf)
store['losses'].append(-inf)
store['series']=[1.0, inf, -inf, nan]
store['metrics']={'best': inf, 'worst': -inf}
store['metrics']['loss']=nan
store['cfg']={'lr': 0.1}
