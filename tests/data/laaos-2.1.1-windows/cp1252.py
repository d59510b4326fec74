store = {}
store['unit']='µs'
store['author']='Müller'
store['notes']=[]
store['notes'].append('café – 20 €')
store['timings']={'µs': [1.5, 2.5]}
store['notes'].append('reopened: ß')
